/**
 * The notice a gated update answer carries (docs/updates.md, "Who may update"): the policy decision
 * in words an endpoint can show (what stopped, since when, why, what to do), signed by the cloud so
 * that the agent shows it as the vendor's only when it verifies with the vendor key it pinned at
 * activation (the key that signs license files, licensing/signing-key.ts).
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
 * The agent's reader is src/agent/update/policy-notice.ts (the two must agree on the prefix).
 */
import { sign, type KeyObject } from 'node:crypto';
import { canonicalJson, POLICY_NOTICE_FORMAT, POLICY_NOTICE_SIGNATURE_PREFIX, publicKeyId } from '../../protocol/index.js';
import type { Decision } from '../policy/decide.js';

/** The response header of a `notice` decision on a delivered file: base64 of the notice's JSON. */
export const POLICY_NOTICE_HEADER = 'vigil-policy-notice';

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

const WHAT_TO_DO = {
  deny:
    'This machine keeps scanning with the signature database it has installed; nothing was removed. It no longer receives new signatures from the vendor, so it does not learn about new threats: plan to move to another product. If you think this rule should not apply to this machine or to your license, contact your license administrator or the vendor, quoting the rule and reference above.',
  notice: 'Nothing was stopped: the update was delivered. Read the reason and reference above; your license administrator or the vendor can answer questions about it.',
} as const;

export function signPolicyNotice(decision: Decision & { decision: 'deny' | 'notice' }, activationId: string, issuedAt: Date, privateKey: KeyObject): SignedPolicyNotice {
  const payload: PolicyNoticePayload = {
    action: decision.action,
    decision: decision.decision,
    rule: decision.rule,
    jurisdiction: decision.jurisdiction,
    attribute: decision.attribute,
    since: decision.since ?? null,
    reason: decision.reason ?? null,
    reference: decision.reference ?? null,
    what_to_do: WHAT_TO_DO[decision.decision],
    activation_id: activationId,
    issued_at: issuedAt.toISOString(),
  };
  const signature = sign(null, Buffer.from(POLICY_NOTICE_SIGNATURE_PREFIX + canonicalJson(payload), 'utf8'), privateKey).toString('base64');
  return { format: POLICY_NOTICE_FORMAT, payload, key_id: publicKeyId(privateKey), signature };
}

export { POLICY_NOTICE_FORMAT, POLICY_NOTICE_SIGNATURE_PREFIX };
