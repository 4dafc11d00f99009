/**
 * Reads the signed policy notice of the vendor's update service (the contract:
 * src/protocol/policy-notice.ts; docs/update-client.md, "Refused or told by the vendor's policy"):
 * with a 403 `policy_denied` (`error.notice`) or, for a `notice` decision, in the
 * `Vigil-Policy-Notice` header of a delivered file (base64 of its JSON).
 *
 * It is shown as the vendor's only when, in this order: the key id is the vendor key pinned at
 * activation (activation.json), the Ed25519 signature (RFC 8032) of POLICY_NOTICE_SIGNATURE_PREFIX +
 * canonicalJson(payload) (RFC 8785) verifies with it, and the payload names this machine's
 * activation. Anything else is `verified: false` with the reason, and its text is not shown as the
 * vendor's. Read defensively: texts are cleaned for a terminal (server-text.ts).
 */
import { verify, type KeyObject } from 'node:crypto';
import { POLICY_NOTICE_FORMAT, POLICY_NOTICE_HEADER, POLICY_NOTICE_MAX_CHARS, POLICY_NOTICE_SIGNATURE_PREFIX, policyNoticeSignedBytes } from '../../protocol/index.js';
import { readPolicyDecision, type PolicyDecision } from '../policy-decision.js';
import { serverText } from '../server-text.js';

/** What verifies a notice: the pinned vendor key and this machine's activation. */
export interface NoticeTrust {
  key: KeyObject;
  keyId: string;
  activationId: string;
}

export type PolicyNotice =
  | { verified: true; decision: PolicyDecision; whatToDo: string | undefined; issuedAt: string | undefined; keyId: string }
  | { verified: false; problem: string };

const SIGNATURE_RE = /^[A-Za-z0-9+/]{86}==$/;

/** A notice from untrusted JSON; undefined when there is none at all. */
export function readPolicyNotice(value: unknown, trust: NoticeTrust | undefined): PolicyNotice | undefined {
  if (value === undefined || value === null) return undefined;
  const refused = (problem: string): PolicyNotice => ({ verified: false, problem });
  if (typeof value !== 'object' || Array.isArray(value)) return refused('it is not a JSON object');
  const v = value as Record<string, unknown>;
  if (v['format'] !== POLICY_NOTICE_FORMAT) return refused(`its format is not ${POLICY_NOTICE_FORMAT}`);
  const payload = v['payload'];
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return refused('it has no payload');
  if (trust === undefined) return refused('this machine has no pinned vendor key to check it with (it is not activated)');
  if (v['key_id'] !== trust.keyId) return refused('it is signed with another key than the vendor key pinned at activation');
  const signature = v['signature'];
  if (typeof signature !== 'string' || !SIGNATURE_RE.test(signature)) return refused('its signature is not a base64 Ed25519 signature');
  let signed: Buffer;
  try {
    signed = policyNoticeSignedBytes(payload);
  } catch (e) {
    return refused(`its payload cannot be put in canonical form (${(e as Error).message})`);
  }
  if (!verify(null, signed, trust.key, Buffer.from(signature, 'base64'))) return refused('its signature does not verify with the vendor key pinned at activation (it was altered, or not issued by the vendor)');
  const p = payload as Record<string, unknown>;
  if (p['activation_id'] !== trust.activationId) return refused("it was issued to another machine's activation");
  const decision = readPolicyDecision(p);
  if (decision === undefined || decision.decision === 'allow') return refused('its decision is neither deny nor notice');
  return { verified: true, decision, whatToDo: serverText(p['what_to_do']), issuedAt: serverText(p['issued_at'], 100), keyId: trust.keyId };
}

/** The notice in a `Vigil-Policy-Notice` header, or undefined when the answer has none. */
export function readNoticeHeader(header: string | null, trust: NoticeTrust | undefined): PolicyNotice | undefined {
  if (header === null) return undefined;
  if (header.length > POLICY_NOTICE_MAX_CHARS) return { verified: false, problem: `the notice header is longer than ${POLICY_NOTICE_MAX_CHARS} characters` };
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(header.trim(), 'base64').toString('utf8'));
  } catch {
    return { verified: false, problem: 'the notice header is not base64 of JSON' };
  }
  return readPolicyNotice(value, trust);
}

export { POLICY_NOTICE_FORMAT, POLICY_NOTICE_HEADER, POLICY_NOTICE_MAX_CHARS, POLICY_NOTICE_SIGNATURE_PREFIX };
