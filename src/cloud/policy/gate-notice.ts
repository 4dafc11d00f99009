/**
 * The one place the cloud puts a policy decision into words for whoever it concerns (DESIGN.md
 * section 6: what stopped, since when, why, what the user can do):
 * - a deny is a 403 `policy_denied` whose message says what is not allowed, since when and why,
 *   with the decision in `error.decision` (and the signed notice in `error.notice` where one is issued);
 * - a notice lets the action run and travels along in the answer's `notices`;
 * - for an activation, deny and notice also come as a notice signed with the vendor key
 *   (src/protocol/policy-notice.ts), which the agent verifies before it shows the text as the vendor's.
 */
import type { KeyObject } from 'node:crypto';
import { buildPolicyNoticePayload, signPolicyNotice, type PolicyDecision, type SignedPolicyNotice } from '../../protocol/index.js';
import { HttpError } from '../http/index.js';

/** A `notice` decision as an answer carries it in `notices`. */
export interface NoticeOut {
  decision: 'notice';
  action: PolicyDecision['action'];
  jurisdiction: string | null;
  attribute: PolicyDecision['attribute'];
  reason?: string | undefined;
  reference?: string | undefined;
  since?: string | undefined;
  rule: { id: string; version: number } | null;
}

/**
 * What an endpoint can do, by effect, in the signed notice. Update delivery is the only service that
 * issues signed notices so far, so the words speak of signatures; a second one would key them by action too.
 */
export const NOTICE_WHAT_TO_DO = {
  deny:
    'This machine keeps scanning with the signature database it has installed; nothing was removed. It no longer receives new signatures from the vendor, so it does not learn about new threats: plan to move to another product. If you think this rule should not apply to this machine or to your license, contact your license administrator or the vendor, quoting the rule and reference above.',
  notice: 'Nothing was stopped: the update was delivered. Read the reason and reference above; your license administrator or the vendor can answer questions about it.',
} as const;

export interface DeniedExtra {
  /** Response headers of the refusal (e.g. that it must not be cached). */
  headers?: Record<string, string>;
  notice?: SignedPolicyNotice | undefined;
}

/** The 403 of a deny: "`what` is not allowed (since ...): reason", with the decision. */
export function deniedError(decision: PolicyDecision, what: string, extra: DeniedExtra = {}): HttpError {
  const since = decision.since ? ` (since ${decision.since})` : '';
  const body = extra.notice === undefined ? { decision } : { decision, notice: extra.notice };
  return new HttpError(403, 'policy_denied', `${what} is not allowed${since}: ${decision.reason ?? 'a jurisdiction rule forbids it'}`, [], extra.headers ?? {}, body);
}

/** The notice an answer carries for a `notice` decision; undefined for allow and deny. */
export function noticeOf(decision: PolicyDecision): NoticeOut | undefined {
  return decision.decision === 'notice' ? { decision: 'notice', action: decision.action, jurisdiction: decision.jurisdiction, attribute: decision.attribute, reason: decision.reason, reference: decision.reference, since: decision.since, rule: decision.rule } : undefined;
}

/** The signed notice of a deny or notice issued to one activation; undefined for allow. */
export function issueSignedNotice(decision: PolicyDecision, activationId: string, issuedAt: Date, privateKey: KeyObject): SignedPolicyNotice | undefined {
  if (decision.decision === 'allow') return undefined;
  const effect = decision.decision;
  return signPolicyNotice(buildPolicyNoticePayload({ ...decision, decision: effect }, NOTICE_WHAT_TO_DO[effect], activationId, issuedAt), privateKey);
}
