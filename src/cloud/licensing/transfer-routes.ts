/**
 * Licence transfers over HTTP, as offer → acceptance → move (issue 16, item 15; transfer-offers.ts):
 * the holder offers, the receiving tenant's admin sees the offer and accepts (the policy gate decides
 * `license.transfer` for both parties then, and only then does the licence move), declines, or lets
 * it expire; the giver may cancel before acceptance. The giver is never told anything about the
 * receiving tenant, not even whether its id names one, before acceptance.
 */
import { z } from 'zod';
import { actorFor, getTenant, type Tenant } from '../accounts/index.js';
import { seesAllTenants, type Principal } from '../auth/index.js';
import { forbidden, HttpError, notFound } from '../http/index.js';
import { defineRoute, type AnyRoute } from '../http/index.js';
import { idString, jurisdictionCode } from '../http/index.js';
import type { CloudServices } from '../services.js';
import type { Queryable } from '../store/index.js';
import { lockManagedLicense } from './license-access.js';
import { getLicense, transferLicense, type License } from './licenses.js';
import { closeOffer, getOffer, listOffers, markOfferAccepted, offerLicense, offerStatus, type TransferOffer } from './transfer-offers.js';

const offerParams = z.strictObject({ offerId: idString });
const USERS = ['operator', 'auditor', 'customer-admin'] as const;

/**
 * An offer as `principal` may see it. The receiving tenant's name is shown to the vendor and to
 * the receiver, and to the giver only once the offer was accepted.
 */
async function showOffer(q: Queryable, offer: TransferOffer, principal: Principal, now: Date) {
  const license = await getLicense(q, offer.license_id);
  const from = await getTenant(q, offer.from_tenant);
  const namesReceiver = seesAllTenants(principal) || principal.tenantId === offer.to_tenant || offer.status === 'accepted';
  const to = namesReceiver ? await getTenant(q, offer.to_tenant) : undefined;
  return {
    id: offer.id,
    license_id: offer.license_id,
    status: offerStatus(offer, now),
    from_tenant_id: offer.from_tenant,
    from_tenant_name: from?.name ?? null,
    to_tenant_id: offer.to_tenant,
    ...(namesReceiver ? { to_tenant_name: to?.name ?? null } : {}),
    license: license ? { product: license.product, plan: license.plan, seats: license.seats, expires_at: license.expires_at } : null,
    created_at: offer.created_at,
    expires_at: offer.expires_at,
    closed_at: offer.closed_at,
  };
}

/**
 * The offer and its licence, locked licence first (the order every transfer change keeps), for a
 * caller on the given side of it; 404 for anyone who is on neither side.
 */
async function lockOffer(tx: Queryable, principal: Principal, id: string, side: 'giver' | 'receiver', now: Date): Promise<{ offer: TransferOffer; license: License }> {
  const seen = await getOffer(tx, id);
  const visible = seen && (seesAllTenants(principal) || principal.tenantId === seen.from_tenant || principal.tenantId === seen.to_tenant);
  if (!seen || !visible) throw notFound(`transfer offer ${id}`);
  const allowed = side === 'receiver' ? principal.role === 'customer-admin' && principal.tenantId === seen.to_tenant : principal.role === 'operator' || (principal.role === 'customer-admin' && principal.tenantId === seen.from_tenant);
  if (!allowed) throw forbidden(side === 'receiver' ? "only the receiving tenant's admin may do that" : "only the giving tenant's admin or an operator may do that");
  const license = (await getLicense(tx, seen.license_id, true))!;
  const offer = (await getOffer(tx, id, true))!;
  const status = offerStatus(offer, now);
  if (status !== 'pending') throw new HttpError(409, 'conflict', `the transfer offer is ${status}`);
  return { offer, license };
}

export function transferRoutes(s: CloudServices, withState: (l: License) => License & { state: string }): AnyRoute[] {
  return [
    defineRoute({
      method: 'POST',
      url: '/v1/licenses/:licenseId/transfer',
      // Only an acceptance moves a licence; the declaration stays so that any cached copy of the
      // licence is refreshed after every step of a transfer.
      changes: ['licenses', 'activations'],
      tag: 'licensing',
      summary: 'Offer a license to another customer tenant; it moves only when that tenant\'s admin accepts (POST /v1/transfers/{offerId}/accept)',
      roles: ['operator', 'customer-admin'],
      params: z.strictObject({ licenseId: idString }),
      body: z.strictObject({ to_tenant_id: idString }),
      handler: async ({ params, body, principal }) => {
        const actor = actorFor(principal, s.now());
        return s.store.transaction(async (tx) => {
          const license = await lockManagedLicense(tx, principal, params.licenseId);
          if (license.status === 'revoked') throw new HttpError(409, 'conflict', 'a revoked license cannot be transferred');
          if (body.to_tenant_id === license.tenant_id) throw new HttpError(400, 'invalid_request', 'the license already belongs to that tenant', [{ path: 'body.to_tenant_id', message: 'same tenant' }]);
          // Whether the id names a customer is not checked here: the answer must not tell.
          const offer = await offerLicense(tx, license, body.to_tenant_id, actor);
          return { offer: await showOffer(tx, offer, principal, actor.now) };
        });
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/transfers',
      tag: 'licensing',
      summary: 'Transfer offers this token may see: those its tenant gives and those it receives',
      roles: USERS,
      handler: async ({ principal }) => {
        const offers = await listOffers(s.store, seesAllTenants(principal) ? undefined : principal.tenantId);
        const now = s.now();
        const shown = [];
        for (const offer of offers) shown.push(await showOffer(s.store, offer, principal, now));
        return { offers: shown };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/v1/transfers/:offerId/accept',
      changes: ['licenses', 'activations'],
      tag: 'licensing',
      summary: "Accept a license offered to this tenant (gate: license.transfer, for both parties' jurisdictions); it moves and its activations end",
      roles: ['customer-admin'],
      params: offerParams,
      body: z.strictObject({ declared_location: jurisdictionCode.optional() }),
      handler: async ({ params, body, principal, request }) => {
        const actor = actorFor(principal, s.now());
        let offer: TransferOffer;
        let license: License;
        let to: Tenant;
        return s.gate.run(
          'transferring this license',
          async (tx) => {
            ({ offer, license } = await lockOffer(tx, principal, params.offerId, 'receiver', actor.now));
            if (license.tenant_id !== offer.from_tenant) throw new HttpError(409, 'conflict', 'the license changed hands since it was offered');
            if (license.status === 'revoked') throw new HttpError(409, 'conflict', 'a revoked license cannot be transferred');
            const from = (await getTenant(tx, offer.from_tenant))!;
            const receiver = await getTenant(tx, offer.to_tenant);
            if (receiver?.kind !== 'customer') throw new HttpError(409, 'conflict', 'licenses belong to customer tenants');
            to = receiver;
            const gate = (tenant: Tenant, side: 'from' | 'to') => ({
              action: 'license.transfer' as const,
              actor: actor.name,
              tenantId: tenant.id,
              personCountry: tenant.country,
              ip: request.ip,
              declaredLocation: body.declared_location,
              product: license.product,
              context: { license: license.id, offer: offer.id, side, from_tenant: from.id, to_tenant: receiver.id },
            });
            return [gate(from, 'from'), gate(receiver, 'to')];
          },
          async (tx) => {
            const moved = await transferLicense(tx, license, to.id, actor, offer.id);
            await markOfferAccepted(tx, offer, moved.transferId, actor);
            return { license: withState(moved.license), offer: await showOffer(tx, (await getOffer(tx, offer.id))!, principal, actor.now) };
          },
        );
      },
    }),
    ...(['cancel', 'decline'] as const).map((verb) =>
      defineRoute({
        method: 'POST',
        url: `/v1/transfers/:offerId/${verb}`,
        tag: 'licensing',
        summary: verb === 'cancel' ? 'Withdraw a transfer offer before it is accepted (the giving side)' : 'Refuse a license offered to this tenant',
        roles: verb === 'cancel' ? ['operator', 'customer-admin'] : ['customer-admin'],
        params: offerParams,
        handler: async ({ params, principal }) => {
          const actor = actorFor(principal, s.now());
          return s.store.transaction(async (tx) => {
            const { offer } = await lockOffer(tx, principal, params.offerId, verb === 'cancel' ? 'giver' : 'receiver', actor.now);
            const closed = await closeOffer(tx, offer, verb === 'cancel' ? 'cancelled' : 'declined', actor);
            return { offer: await showOffer(tx, closed, principal, actor.now) };
          });
        },
      }),
    ),
  ];
}
