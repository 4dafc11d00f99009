/**
 * The gate every controlled action passes: work out who is asking and from where, decide, and
 * append the decision to the audit log in the same transaction (DESIGN.md section 6).
 *
 * Location: the client's address through the operator's CIDR table (the address Fastify reports,
 * which honours X-Forwarded-For only from configured proxies); when the table does not know the
 * address, the country the endpoint was registered with, then a country the caller declares. The
 * address itself is not stored, only the country and where it came from.
 * Person: the country of residence of the caller's tenant (licensing adds the license holder's).
 */
import { appendAudit } from '../audit/audit-log.js';
import type { Principal } from '../auth/roles.js';
import { lookupCountry } from '../geo/geo-store.js';
import type { Queryable, Store } from '../store/store.js';
import type { PolicyAction } from './actions.js';
import { decide, type Decision, type PolicySubject } from './decide.js';
import type { ActiveRules } from './rule-store.js';

export type LocationSource = 'ip' | 'endpoint' | 'declared' | 'unknown';

export interface GateRequest {
  principal: Principal;
  action: PolicyAction;
  ip: string;
  product?: string | undefined;
  declaredLocation?: string | undefined;
}

export interface GateOutcome {
  decision: Decision;
  subject: PolicySubject;
  locationSource: LocationSource;
  auditSeq: number;
}

export async function resolveLocation(q: Queryable, principal: Principal, ip: string, declared: string | undefined): Promise<{ country: string | null; source: LocationSource }> {
  const fromIp = await lookupCountry(q, ip);
  if (fromIp) return { country: fromIp, source: 'ip' };
  if (principal.endpointId) {
    const row = await q.get<{ country: string | null }>('SELECT country FROM endpoints WHERE id = ?', [principal.endpointId]);
    if (row?.country) return { country: row.country, source: 'endpoint' };
  }
  if (declared) return { country: declared, source: 'declared' };
  return { country: null, source: 'unknown' };
}

export async function passGate(store: Store, rules: ActiveRules, request: GateRequest, now: Date): Promise<GateOutcome> {
  return store.transaction(async (tx) => {
    const location = await resolveLocation(tx, request.principal, request.ip, request.declaredLocation);
    const subject: PolicySubject = {};
    if (location.country) subject.location = location.country;
    if (request.principal.tenantCountry) subject.person = request.principal.tenantCountry;
    if (request.product) subject.product = request.product;
    const decision = decide(await rules.current(tx), subject, request.action, now);
    const record = await appendAudit(
      tx,
      {
        kind: 'policy.decision',
        actor: request.principal.userId ? `user:${request.principal.userId}` : `endpoint:${request.principal.endpointId ?? '?'}`,
        tenant: request.principal.tenantId,
        data: { action: request.action, subject, location_source: location.source, decision },
      },
      now,
    );
    return { decision, subject, locationSource: location.source, auditSeq: record.seq };
  });
}
