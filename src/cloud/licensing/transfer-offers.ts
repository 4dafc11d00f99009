/**
 * Licence transfer offers (issue 16, item 15). A transfer is a consent in two steps: the holder's
 * admin (or an operator) offers a licence to a tenant id; the receiving tenant's admin accepts; only
 * then does the licence move (`transferLicense`). Until acceptance the giver learns nothing about
 * the receiving side: an offer to an id that names no customer is stored and answered like any
 * other, and shows no name. The giver may cancel, the receiver may decline, an offer expires after
 * TRANSFER_OFFER_LIFETIME_DAYS, and a new offer for the same licence supersedes a pending one.
 *
 * Locking: every change takes the licence's row lock first, then the offer's, in that order, so a
 * transfer, an acceptance and a cancellation of one licence never deadlock and always see each
 * other's outcome (issue 16, item 8).
 */
import type { Actor } from '../accounts/index.js';
import { appendAudit } from '../audit/index.js';
import { newId } from '../auth/index.js';
import { forUpdate, type Queryable } from '../store/index.js';

/** How long an offer waits for the receiving tenant's admin. */
export const TRANSFER_OFFER_LIFETIME_DAYS = 7;
const DAY_MS = 86_400_000;

export type OfferStatus = 'pending' | 'accepted' | 'cancelled' | 'declined' | 'superseded' | 'expired';

export interface TransferOffer {
  id: string;
  license_id: string;
  from_tenant: string;
  to_tenant: string;
  /** As stored; `expired` is derived from `expires_at` by `offerStatus`. */
  status: Exclude<OfferStatus, 'expired'>;
  created_at: string;
  created_by: string;
  expires_at: string;
  closed_at: string | null;
  closed_by: string | null;
  transfer_id: string | null;
}

const COLUMNS = 'id, license_id, from_tenant, to_tenant, status, created_at, created_by, expires_at, closed_at, closed_by, transfer_id';

/** Where an offer stands at an instant: a pending offer past its expiry is expired. */
export function offerStatus(offer: TransferOffer, now: Date): OfferStatus {
  return offer.status === 'pending' && now.getTime() >= Date.parse(offer.expires_at) ? 'expired' : offer.status;
}

export async function getOffer(q: Queryable, id: string, lock = false): Promise<TransferOffer | undefined> {
  return q.get<TransferOffer>(`SELECT ${COLUMNS} FROM license_transfer_offers WHERE id = ?${lock ? forUpdate(q) : ''}`, [id]);
}

/** Offers a tenant gives or receives (every offer when `tenantId` is undefined), newest first. */
export async function listOffers(q: Queryable, tenantId?: string): Promise<TransferOffer[]> {
  if (tenantId === undefined) return q.all<TransferOffer>(`SELECT ${COLUMNS} FROM license_transfer_offers ORDER BY created_at DESC, id`);
  return q.all<TransferOffer>(`SELECT ${COLUMNS} FROM license_transfer_offers WHERE from_tenant = ? OR to_tenant = ? ORDER BY created_at DESC, id`, [tenantId, tenantId]);
}

/**
 * Records an offer of a licence (already locked by the caller) from its holder to `toTenant`; a
 * pending offer of the same licence is superseded. Audited for the giving tenant only.
 */
export async function offerLicense(tx: Queryable, license: { id: string; tenant_id: string }, toTenant: string, actor: Actor): Promise<TransferOffer> {
  const now = actor.now.toISOString();
  await tx.run("UPDATE license_transfer_offers SET status = 'superseded', closed_at = ?, closed_by = ? WHERE license_id = ? AND status = 'pending'", [now, actor.name, license.id]);
  const id = newId('tro');
  const expires = new Date(actor.now.getTime() + TRANSFER_OFFER_LIFETIME_DAYS * DAY_MS).toISOString();
  await tx.run(`INSERT INTO license_transfer_offers (id, license_id, from_tenant, to_tenant, status, created_at, created_by, expires_at) VALUES (?, ?, ?, ?, 'pending', ?, ?, ?)`, [
    id,
    license.id,
    license.tenant_id,
    toTenant,
    now,
    actor.name,
    expires,
  ]);
  await appendAudit(tx, { kind: 'license.transfer.offer', actor: actor.name, tenant: license.tenant_id, data: { offer: id, license: license.id, to_tenant: toTenant, expires_at: expires } }, actor.now);
  return (await getOffer(tx, id))!;
}

/** Closes a pending offer without moving the licence: the giver cancels or the receiver declines. */
export async function closeOffer(tx: Queryable, offer: TransferOffer, status: 'cancelled' | 'declined', actor: Actor): Promise<TransferOffer> {
  await tx.run('UPDATE license_transfer_offers SET status = ?, closed_at = ?, closed_by = ? WHERE id = ?', [status, actor.now.toISOString(), actor.name, offer.id]);
  const tenant = status === 'cancelled' ? offer.from_tenant : offer.to_tenant;
  await appendAudit(tx, { kind: `license.transfer.${status === 'cancelled' ? 'cancel' : 'decline'}`, actor: actor.name, tenant, data: { offer: offer.id, license: offer.license_id } }, actor.now);
  return (await getOffer(tx, offer.id))!;
}

/** Marks an offer accepted, naming the transfer it became. */
export async function markOfferAccepted(tx: Queryable, offer: TransferOffer, transferId: string, actor: Actor): Promise<void> {
  await tx.run("UPDATE license_transfer_offers SET status = 'accepted', closed_at = ?, closed_by = ?, transfer_id = ? WHERE id = ?", [actor.now.toISOString(), actor.name, transferId, offer.id]);
}
