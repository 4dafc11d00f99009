/**
 * The one subject builder of the policy gate: who asks, from where, about whom (DESIGN.md section 6).
 *
 * Location: the client's address through the operator's CIDR table (the address Fastify reports,
 * which honours X-Forwarded-For only from configured proxies); when the table does not know the
 * address, the country the endpoint was registered with, then a country the caller declares. The
 * address itself is not stored, only the country and where it came from.
 * Person: the country of residence of the tenant concerned: the caller's, or for license actions
 * the license holder's (and for a transfer, each party's). Product: the license's or plan's, which a
 * rule may exempt.
 */
import { lookupCountry } from '../geo/index.js';
import type { Queryable } from '../store/index.js';
import type { PolicySubject } from './decide.js';

export type LocationSource = 'ip' | 'endpoint' | 'declared' | 'unknown';

/** What the subject is built from. */
export interface SubjectSource {
  /** The person jurisdiction: the country of the tenant concerned, if known. */
  personCountry: string | null;
  ip: string;
  /** The calling endpoint, whose registered country stands in for an address the table does not know. */
  endpointId?: string | null | undefined;
  declaredLocation?: string | undefined;
  product?: string | null | undefined;
}

export interface BuiltSubject {
  subject: PolicySubject;
  locationSource: LocationSource;
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

/** The subject of a decision, and where its location came from; absent attributes are left out. */
export async function buildSubject(q: Queryable, source: SubjectSource): Promise<BuiltSubject> {
  const location = await resolveLocation(q, source.ip, source.endpointId, source.declaredLocation);
  const subject: PolicySubject = {};
  if (location.country) subject.location = location.country;
  if (source.personCountry) subject.person = source.personCountry;
  if (source.product) subject.product = source.product;
  return { subject, locationSource: location.source };
}
