/**
 * Consent to the security network, per endpoint pseudonym and category. Every change is a new
 * record (withdrawing too), so the history of who agreed to what and when is kept; the current
 * consent is the newest record. Each change is also an audit record `network.consent` of the
 * license holder's tenant (actor: the activation), written in the same transaction.
 */
import { appendAudit } from '../audit/index.js';
import type { Actor } from '../accounts/index.js';
import type { Queryable } from '../store/index.js';

import { CONSENT_CATEGORIES, type ConsentCategory } from '../../protocol/index.js';

export { CONSENT_CATEGORIES, type ConsentCategory };

export interface Consent {
  enabled: boolean;
  categories: ConsentCategory[];
  recorded_at: string | null;
}

export const NO_CONSENT: Consent = { enabled: false, categories: [], recorded_at: null };

export async function currentConsent(q: Queryable, endpoint: string): Promise<Consent> {
  const row = await q.get<{ enabled: number; categories: string; recorded_at: string }>('SELECT enabled, categories, recorded_at FROM network_consents WHERE endpoint = ? ORDER BY seq DESC LIMIT 1', [endpoint]);
  if (!row) return NO_CONSENT;
  return { enabled: row.enabled === 1, categories: JSON.parse(row.categories) as ConsentCategory[], recorded_at: row.recorded_at };
}

/** The categories `consent` covers: none while disabled. */
export function consentedCategories(consent: Consent): ReadonlySet<ConsentCategory> {
  return new Set(consent.enabled ? consent.categories : []);
}

export async function recordConsent(tx: Queryable, endpoint: string, enabled: boolean, categories: readonly ConsentCategory[], tenant: string, actor: Actor): Promise<Consent> {
  // Disabled means nothing is consented to, whatever categories came along; kept in canonical order.
  const kept = enabled ? CONSENT_CATEGORIES.filter((c) => categories.includes(c)) : [];
  const consent: Consent = { enabled, categories: kept, recorded_at: actor.now.toISOString() };
  await tx.run('INSERT INTO network_consents (endpoint, enabled, categories, recorded_at) VALUES (?, ?, ?, ?)', [endpoint, enabled ? 1 : 0, JSON.stringify(kept), consent.recorded_at]);
  await appendAudit(tx, { kind: 'network.consent', actor: actor.name, tenant, data: { enabled, categories: kept } }, actor.now);
  return consent;
}
