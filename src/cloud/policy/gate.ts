/**
 * The gate every controlled action passes: work out who is asking and from where, decide, and
 * append the decision to the audit log in the caller's transaction, so that the decision and the
 * action it allowed commit together (DESIGN.md section 6).
 *
 * Location: the client's address through the operator's CIDR table (the address Fastify reports,
 * which honours X-Forwarded-For only from configured proxies); when the table does not know the
 * address, the country the endpoint was registered with, then a country the caller declares. The
 * address itself is not stored, only the country and where it came from.
 * Person: the country of residence of the tenant concerned: the caller's, or for license actions
 * the license holder's (and for a transfer, each party's).
 */
import { appendAudit } from '../audit/audit-log.js';
import { lookupCountry } from '../geo/geo-store.js';
import type { Queryable, Store } from '../store/store.js';
import type { PolicyAction } from './actions.js';
import { decide, type Decision, type PolicySubject } from './decide.js';
import type { ActiveRules } from './rule-store.js';

export type LocationSource = 'ip' | 'endpoint' | 'declared' | 'unknown';

export interface GateRequest {
  action: PolicyAction;
  /** Who asks, for the audit record: `user:<id>`, `endpoint:<id>`, `license:<id>`. */
  actor: string;
  /** The tenant the decision concerns (its records are visible to its admins). */
  tenantId: string | null;
  /** The person jurisdiction: the country of the tenant concerned, if known. */
  personCountry: string | null;
  ip: string;
  /** The registered country of the calling endpoint, if any. */
  endpointId?: string | null | undefined;
  declaredLocation?: string | undefined;
  product?: string | undefined;
  /** Anything else the record should say (e.g. the license or the other party of a transfer). */
  context?: Record<string, unknown>;
}

export interface GateOutcome {
  decision: Decision;
  subject: PolicySubject;
  locationSource: LocationSource;
  auditSeq: number;
}

export async function resolveLocation(q: Queryable, ip: string, endpointId: string | null | undefined, declared: string | undefined): Promise<{ country: string | null; source: LocationSource }> {
  const fromIp = await lookupCountry(q, ip);
  if (fromIp) return { country: fromIp, source: 'ip' };
  if (endpointId) {
    const row = await q.get<{ country: string | null }>('SELECT country FROM endpoints WHERE id = ?', [endpointId]);
    if (row?.country) return { country: row.country, source: 'endpoint' };
  }
  if (declared) return { country: declared, source: 'declared' };
  return { country: null, source: 'unknown' };
}

/** Decides and records, inside the caller's transaction. */
export async function gateInTransaction(tx: Queryable, rules: ActiveRules, request: GateRequest, now: Date): Promise<GateOutcome> {
  const location = await resolveLocation(tx, request.ip, request.endpointId, request.declaredLocation);
  const subject: PolicySubject = {};
  if (location.country) subject.location = location.country;
  if (request.personCountry) subject.person = request.personCountry;
  if (request.product) subject.product = request.product;
  const decision = decide(await rules.current(tx), subject, request.action, now);
  const record = await appendAudit(
    tx,
    {
      kind: 'policy.decision',
      actor: request.actor,
      tenant: request.tenantId,
      data: { action: request.action, subject, location_source: location.source, decision, ...(request.context ? { context: request.context } : {}) },
    },
    now,
  );
  return { decision, subject, locationSource: location.source, auditSeq: record.seq };
}

/** Decides and records in a transaction of its own (for questions asked with no action attached). */
export function passGate(store: Store, rules: ActiveRules, request: GateRequest, now: Date): Promise<GateOutcome> {
  return store.transaction((tx) => gateInTransaction(tx, rules, request, now));
}
