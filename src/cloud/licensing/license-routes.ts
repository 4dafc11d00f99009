/** Products, plans, orders and licenses over HTTP: operators sell and manage, customer admins see and use their own. */
import { z } from 'zod';
import { actorFor, getTenant } from '../accounts/index.js';
import { seesAllTenants } from '../auth/index.js';
import { HttpError, notFound } from '../http/index.js';
import { defineRoute, type AnyRoute } from '../http/index.js';
import { displayName, idString, jurisdictionCode } from '../http/index.js';
import type { CloudServices } from '../services.js';
import type { Queryable } from '../store/index.js';
import { deactivateSeat, getActivation, listActivations } from './activations.js';
import { createPlan, createProduct, ENTITLEMENTS, getPlan, getProduct, hasPlanNamed, listPlans, listProducts, type Plan } from './catalog.js';
import { lockManagedLicense, requireCustomer, requireManager, visibleLicense } from './license-access.js';
import { issueLicense, licenseState, listLicenses, renewLicense, setLicenseStatus, type License } from './licenses.js';
import { transferRoutes } from './transfer-routes.js';

const licenseParams = z.strictObject({ licenseId: idString });
const USERS = ['operator', 'auditor', 'customer-admin'] as const;
const MANAGERS = ['operator', 'customer-admin'] as const;

async function requirePlan(q: Queryable, id: string): Promise<Plan> {
  const plan = await getPlan(q, id);
  if (!plan) throw new HttpError(400, 'invalid_request', `no plan ${id}`, [{ path: 'body.plan_id', message: 'unknown plan' }]);
  return plan;
}

export function licenseRoutes(s: CloudServices): AnyRoute[] {
  const withState = (l: License) => ({ ...l, state: licenseState(l, s.now()) });
  return [
    defineRoute({
      method: 'POST',
      url: '/v1/products',
      tag: 'licensing',
      summary: 'Create a product',
      roles: ['operator'],
      status: 201,
      body: z.strictObject({ name: displayName }),
      handler: async ({ body, principal }) => {
        if ((await listProducts(s.store)).some((p) => p.name === body.name)) throw new HttpError(409, 'conflict', `a product named ${body.name} exists`, [{ path: 'body.name', message: 'taken' }]);
        return s.store.transaction((tx) => createProduct(tx, body.name, actorFor(principal, s.now())));
      },
    }),
    defineRoute({ method: 'GET', url: '/v1/products', tag: 'licensing', summary: 'Products', roles: USERS, handler: async () => ({ products: await listProducts(s.store) }) }),
    defineRoute({
      method: 'POST',
      url: '/v1/plans',
      tag: 'licensing',
      summary: 'Create a plan of a product',
      roles: ['operator'],
      status: 201,
      body: z.strictObject({
        product_id: idString,
        name: displayName,
        duration_days: z.number().int().min(1).max(3660),
        seats: z.number().int().min(1).max(1_000_000),
        entitlements: z.array(z.enum(ENTITLEMENTS)).max(ENTITLEMENTS.length),
        grace_days: z.number().int().min(0).max(365).default(14),
      }),
      handler: async ({ body, principal }) => {
        if (!(await getProduct(s.store, body.product_id))) throw new HttpError(400, 'invalid_request', `no product ${body.product_id}`, [{ path: 'body.product_id', message: 'unknown product' }]);
        if (await hasPlanNamed(s.store, body.product_id, body.name)) throw new HttpError(409, 'conflict', `the product has a plan named ${body.name}`, [{ path: 'body.name', message: 'taken' }]);
        return s.store.transaction((tx) =>
          createPlan(tx, { productId: body.product_id, name: body.name, durationDays: body.duration_days, seats: body.seats, entitlements: body.entitlements, graceDays: body.grace_days }, actorFor(principal, s.now())),
        );
      },
    }),
    defineRoute({ method: 'GET', url: '/v1/plans', tag: 'licensing', summary: 'Plans', roles: USERS, handler: async () => ({ plans: await listPlans(s.store) }) }),
    defineRoute({
      method: 'POST',
      url: '/v1/orders',
      tag: 'licensing',
      summary: 'Sell a plan to a customer tenant (gate: license.sell); the new license key is shown once',
      roles: MANAGERS,
      status: 201,
      body: z.strictObject({ plan_id: idString, tenant_id: idString.optional(), declared_location: jurisdictionCode.optional() }),
      handler: async ({ body, principal, request }) => {
        const tenantId = body.tenant_id ?? principal.tenantId;
        if (principal.role === 'customer-admin' && tenantId !== principal.tenantId) throw notFound(`tenant ${tenantId}`);
        const tenant = await requireCustomer(s.store, tenantId, 'body.tenant_id');
        const plan = await requirePlan(s.store, body.plan_id);
        const actor = actorFor(principal, s.now());
        return s.gate.run(
          'selling a license',
          async () => [{ action: 'license.sell', actor: actor.name, tenantId, personCountry: tenant.country, ip: request.ip, declaredLocation: body.declared_location, product: plan.product, context: { plan: plan.id } }],
          async (tx) => {
            const issued = await issueLicense(tx, tenantId, plan, actor);
            return { order_id: issued.orderId, license: withState(issued.license), key: issued.key };
          },
        );
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/licenses',
      tag: 'licensing',
      summary: 'Licenses this token may see',
      roles: USERS,
      handler: async ({ principal }) => ({ licenses: (await listLicenses(s.store, seesAllTenants(principal) ? undefined : principal.tenantId)).map(withState) }),
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/licenses/:licenseId',
      tag: 'licensing',
      summary: 'A license with its activations (machines)',
      roles: USERS,
      params: licenseParams,
      handler: async ({ params, principal }) => {
        const license = await visibleLicense(s.store, principal, params.licenseId);
        const activations = await listActivations(s.store, license.id);
        return { ...withState(license), seats_used: activations.filter((a) => !a.deactivated_at).length, activations };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/v1/licenses/:licenseId/renew',
      changes: ['licenses'],
      tag: 'licensing',
      summary: 'Renew for one more period of its plan, or of another plan (gate: license.renew)',
      roles: MANAGERS,
      params: licenseParams,
      body: z.strictObject({ plan_id: idString.optional(), declared_location: jurisdictionCode.optional() }),
      handler: async ({ params, body, principal, request }) => {
        const actor = actorFor(principal, s.now());
        let locked: License;
        let plan: Plan;
        return s.gate.run(
          'renewing this license',
          async (tx) => {
            // The row lock comes before every check, so what was checked is what is changed.
            locked = await lockManagedLicense(tx, principal, params.licenseId);
            if (locked.status === 'revoked') throw new HttpError(409, 'conflict', 'a revoked license cannot be renewed');
            plan = await requirePlan(tx, body.plan_id ?? locked.plan_id);
            return [{ action: 'license.renew', actor: actor.name, tenantId: locked.tenant_id, personCountry: (await getTenant(tx, locked.tenant_id))?.country ?? null, ip: request.ip, declaredLocation: body.declared_location, product: plan.product, context: { license: locked.id } }];
          },
          async (tx) => {
            const renewed = await renewLicense(tx, locked, plan, actor);
            return { order_id: renewed.orderId, license: withState(renewed.license) };
          },
        );
      },
    }),
    ...transferRoutes(s, withState),
    ...(['suspend', 'resume', 'revoke'] as const).map((verb) =>
      defineRoute({
        method: 'POST',
        url: `/v1/licenses/:licenseId/${verb}`,
        changes: ['licenses', 'activations'],
        tag: 'licensing',
        summary: verb === 'revoke' ? 'Revoke a license for good (ends its activations)' : verb === 'suspend' ? 'Suspend a license (its files say so at next check-in)' : 'Resume a suspended license',
        roles: ['operator'],
        params: licenseParams,
        handler: async ({ params, principal }) => {
          const next = verb === 'revoke' ? 'revoked' : verb === 'suspend' ? 'suspended' : 'active';
          return withState(
            await s.store.transaction(async (tx) => {
              const license = await visibleLicense(tx, principal, params.licenseId, true);
              if (license.status === 'revoked') throw new HttpError(409, 'conflict', 'the license is revoked');
              if (verb === 'resume' && license.status !== 'suspended') throw new HttpError(409, 'conflict', 'the license is not suspended');
              return setLicenseStatus(tx, license, next, actorFor(principal, s.now()));
            }),
          );
        },
      }),
    ),
    defineRoute({
      method: 'POST',
      url: '/v1/licenses/:licenseId/activations/:activationId/deactivate',
      changes: ['activations'],
      tag: 'licensing',
      summary: 'Free the seat of a machine (for a machine that is lost or retired)',
      roles: MANAGERS,
      params: z.strictObject({ licenseId: idString, activationId: idString }),
      handler: async ({ params, principal }) => {
        const license = await visibleLicense(s.store, principal, params.licenseId);
        requireManager(principal, license);
        const activation = await getActivation(s.store, params.activationId);
        if (activation?.license_id !== license.id) throw notFound(`activation ${params.activationId}`);
        const { secret_hash: _hidden, ...shown } = activation;
        return s.store.transaction((tx) => deactivateSeat(tx, shown, license.tenant_id, actorFor(principal, s.now())));
      },
    }),
  ];
}
