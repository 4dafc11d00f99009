/**
 * Runs a license action behind the policy gate, in one transaction: the decision is recorded
 * whatever it is; a deny commits only that record and answers 403 (what stopped, since when, why);
 * allow and notice run the action with the decision, and a notice travels along in the answer.
 */
import { HttpError } from '../http/http-error.js';
import type { Decision } from '../policy/decide.js';
import { gateInTransaction, type GateRequest } from '../policy/gate.js';
import type { CloudServices } from '../services.js';
import type { Queryable } from '../store/store.js';

export interface NoticeOut {
  decision: 'notice';
  action: Decision['action'];
  jurisdiction: string | null;
  attribute: Decision['attribute'];
  reason?: string | undefined;
  reference?: string | undefined;
  since?: string | undefined;
  rule: { id: string; version: number } | null;
}

export function deniedError(decision: Decision, what: string): HttpError {
  const since = decision.since ? ` (since ${decision.since})` : '';
  return new HttpError(403, 'policy_denied', `${what} is not allowed${since}: ${decision.reason ?? 'a jurisdiction rule forbids it'}`, [], {}, { decision });
}

export function noticeOf(decision: Decision): NoticeOut | undefined {
  return decision.decision === 'notice' ? { decision: 'notice', action: decision.action, jurisdiction: decision.jurisdiction, attribute: decision.attribute, reason: decision.reason, reference: decision.reference, since: decision.since, rule: decision.rule } : undefined;
}

/**
 * `gates` are asked in order (a transfer asks for both parties); the first deny stops the action.
 * `action` may still throw an HttpError, which rolls back the decisions too (nothing was decided
 * about an action that could not be attempted).
 */
export async function runGated<T extends object>(
  s: CloudServices,
  what: string,
  gates: (tx: Queryable) => Promise<GateRequest[]>,
  action: (tx: Queryable, notices: NoticeOut[]) => Promise<T>,
): Promise<T & { notices?: NoticeOut[] }> {
  const now = s.now();
  const outcome = await s.store.transaction(async (tx) => {
    const notices: NoticeOut[] = [];
    for (const request of await gates(tx)) {
      const { decision } = await gateInTransaction(tx, s.rules, request, now);
      if (decision.decision === 'deny') return { denied: decision };
      const notice = noticeOf(decision);
      if (notice) notices.push(notice);
    }
    const result: T & { notices?: NoticeOut[] } = await action(tx, notices);
    return { result: notices.length > 0 ? { ...result, notices } : result };
  });
  if ('denied' in outcome) throw deniedError(outcome.denied, what);
  return outcome.result as T & { notices?: NoticeOut[] };
}
