/**
 * The signed policy notice (docs/updates.md, "Who may update"; docs/policy.md): a decision in words
 * an endpoint can show (what stopped, since when, why, what to do), signed by the vendor's cloud
 * with the license signing key, which the agent pinned at activation and checks before it shows the
 * text as the vendor's. The cloud builds and signs it (src/cloud/policy/gate-notice.ts), the agent
 * checks it (src/agent/update/policy-notice.ts); the contract lives here so the two cannot drift.
 *
 *     { "format": "vigil-policy-notice-v1", "payload": {...}, "key_id": "<hex>", "signature": "<base64>" }
 *
 * - `signature`: Ed25519 (RFC 8032) over the UTF-8 bytes of POLICY_NOTICE_SIGNATURE_PREFIX +
 *   canonicalJson(payload) (RFC 8785). The prefix keeps these signatures apart from license files,
 *   which the same key signs.
 * - `key_id`: hex SHA-256 of the raw public key, as for license files.
 * - `payload.activation_id` binds the notice to the endpoint it was issued to, so a notice copied
 *   from another machine's answer is not shown as this one's.
 *
 * It travels with a 403 `policy_denied` (`error.notice`) or, for a `notice` decision on a delivered
 * file, in the POLICY_NOTICE_HEADER response header (base64 of its JSON).
 */
import { sign, type KeyObject } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';
import { publicKeyId } from './license-file.js';
import type { PolicyDecision } from './policy-decision.js';

export const POLICY_NOTICE_FORMAT = 'vigil-policy-notice-v1';
export const POLICY_NOTICE_SIGNATURE_PREFIX = `${POLICY_NOTICE_FORMAT}\n`;
/** The response header of a `notice` decision on a delivered file: base64 of the notice's JSON. */
export const POLICY_NOTICE_HEADER = 'vigil-policy-notice';
/** The longest notice header a reader accepts (base64 characters); a real one is under 8 KiB. */
export const POLICY_NOTICE_MAX_CHARS = 32 * 1024;

/** The decisions a notice is issued for: an allow says nothing. */
export type NoticeDecision = PolicyDecision & { decision: 'deny' | 'notice' };

export interface PolicyNoticePayload {
  action: string;
  decision: 'deny' | 'notice';
  rule: { id: string; version: number } | null;
  jurisdiction: string | null;
  attribute: 'location' | 'person' | null;
  since: string | null;
  reason: string | null;
  reference: string | null;
  what_to_do: string;
  activation_id: string;
  issued_at: string;
}

export interface SignedPolicyNotice {
  format: typeof POLICY_NOTICE_FORMAT;
  payload: PolicyNoticePayload;
  key_id: string;
  signature: string;
}

/** What the signature covers: the prefix and the canonical JSON (RFC 8785) of the payload, in UTF-8. */
export function policyNoticeSignedBytes(payload: unknown): Buffer {
  return Buffer.from(POLICY_NOTICE_SIGNATURE_PREFIX + canonicalJson(payload), 'utf8');
}

/** The payload of a notice on `decision`, issued to one activation at one instant. */
export function buildPolicyNoticePayload(decision: NoticeDecision, whatToDo: string, activationId: string, issuedAt: Date): PolicyNoticePayload {
  return {
    action: decision.action,
    decision: decision.decision,
    rule: decision.rule,
    jurisdiction: decision.jurisdiction,
    attribute: decision.attribute,
    since: decision.since ?? null,
    reason: decision.reason ?? null,
    reference: decision.reference ?? null,
    what_to_do: whatToDo,
    activation_id: activationId,
    issued_at: issuedAt.toISOString(),
  };
}

/** Signs a payload with the vendor's Ed25519 key (RFC 8032). */
export function signPolicyNotice(payload: PolicyNoticePayload, privateKey: KeyObject): SignedPolicyNotice {
  const signature = sign(null, policyNoticeSignedBytes(payload), privateKey).toString('base64');
  return { format: POLICY_NOTICE_FORMAT, payload, key_id: publicKeyId(privateKey), signature };
}
