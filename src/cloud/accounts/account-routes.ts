/** Tenants, users, endpoints and tokens over HTTP, with role and tenant checks on each. */
import { z } from 'zod';
import { canAccessTenant, seesAllTenants, USER_ROLES, type Principal } from '../auth/index.js';
import { forbidden, HttpError, notFound } from '../http/index.js';
import { defineRoute, type AnyRoute } from '../http/index.js';
import { jurisdictionCode, displayName, idString, plainText } from '../http/index.js';
import type { CloudServices } from '../services.js';
import type { Queryable } from '../store/index.js';
import { actorFor, createEndpoint, createTenant, createUser, getEndpoint, getTenant, getUser, listEndpoints, listTenants, listUsers, type Tenant } from './accounts.js';
import { createToken, getToken, listTokens, revokeToken } from './tokens.js';

const tenantParams = z.strictObject({ tenantId: idString });

/** The tenant a principal asks about, or 404 (also when it exists but is not theirs: no probing). */
async function visibleTenant(q: Queryable, principal: Principal, tenantId: string): Promise<Tenant> {
  const tenant = canAccessTenant(principal, tenantId) ? await getTenant(q, tenantId) : undefined;
  if (!tenant) throw notFound(`tenant ${tenantId}`);
  return tenant;
}

function mayManage(principal: Principal, tenantId: string): boolean {
  return principal.role === 'operator' || (principal.role === 'customer-admin' && principal.tenantId === tenantId);
}

export function accountRoutes(s: CloudServices): AnyRoute[] {
  return [
    defineRoute({
      method: 'POST',
      url: '/v1/tenants',
      tag: 'accounts',
      summary: 'Create a customer tenant',
      roles: ['operator'],
      status: 201,
      body: z.strictObject({ name: displayName, country: jurisdictionCode.nullable().optional() }),
      handler: ({ body, principal }) => s.store.transaction((tx) => createTenant(tx, { name: body.name, kind: 'customer', country: body.country ?? null }, actorFor(principal, s.now()))),
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/tenants',
      tag: 'accounts',
      summary: 'List the tenants this token may see',
      roles: ['operator', 'auditor', 'customer-admin'],
      handler: async ({ principal }) => ({ tenants: await listTenants(s.store, seesAllTenants(principal) ? undefined : principal.tenantId) }),
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/tenants/:tenantId',
      tag: 'accounts',
      summary: 'One tenant',
      roles: ['operator', 'auditor', 'customer-admin'],
      params: tenantParams,
      handler: ({ params, principal }) => visibleTenant(s.store, principal, params.tenantId),
    }),
    defineRoute({
      method: 'POST',
      url: '/v1/tenants/:tenantId/users',
      tag: 'accounts',
      summary: 'Add a user to a tenant',
      roles: ['operator', 'customer-admin'],
      status: 201,
      params: tenantParams,
      body: z.strictObject({ name: displayName, role: z.enum(USER_ROLES) }),
      handler: async ({ params, body, principal }) => {
        const tenant = await visibleTenant(s.store, principal, params.tenantId);
        if (!mayManage(principal, tenant.id)) throw forbidden();
        // Vendor staff are operators and auditors; customers have customer admins only.
        const allowed = tenant.kind === 'vendor' ? ['operator', 'auditor'] : ['customer-admin'];
        if (!allowed.includes(body.role)) throw new HttpError(400, 'invalid_request', `a ${tenant.kind} tenant cannot have ${body.role} users`, [{ path: 'body.role', message: `one of ${allowed.join(', ')}` }]);
        return s.store.transaction((tx) => createUser(tx, { tenantId: tenant.id, name: body.name, role: body.role }, actorFor(principal, s.now())));
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/tenants/:tenantId/users',
      tag: 'accounts',
      summary: "A tenant's users",
      roles: ['operator', 'auditor', 'customer-admin'],
      params: tenantParams,
      handler: async ({ params, principal }) => ({ users: await listUsers(s.store, (await visibleTenant(s.store, principal, params.tenantId)).id) }),
    }),
    defineRoute({
      method: 'POST',
      url: '/v1/tenants/:tenantId/endpoints',
      tag: 'accounts',
      summary: 'Register an endpoint (a machine running the agent)',
      roles: ['operator', 'customer-admin'],
      status: 201,
      params: tenantParams,
      body: z.strictObject({ name: displayName, country: jurisdictionCode.nullable().optional() }),
      handler: async ({ params, body, principal }) => {
        const tenant = await visibleTenant(s.store, principal, params.tenantId);
        if (!mayManage(principal, tenant.id)) throw forbidden();
        return s.store.transaction((tx) => createEndpoint(tx, { tenantId: tenant.id, name: body.name, country: body.country ?? null }, actorFor(principal, s.now())));
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/tenants/:tenantId/endpoints',
      tag: 'accounts',
      summary: "A tenant's endpoints",
      roles: ['operator', 'auditor', 'customer-admin'],
      params: tenantParams,
      handler: async ({ params, principal }) => ({ endpoints: await listEndpoints(s.store, (await visibleTenant(s.store, principal, params.tenantId)).id) }),
    }),
    defineRoute({
      method: 'POST',
      url: '/v1/tokens',
      tag: 'accounts',
      summary: 'Issue a bearer token for a user or an endpoint (the secret is shown once)',
      roles: ['operator', 'customer-admin'],
      status: 201,
      body: z
        .strictObject({
          user_id: idString.optional(),
          endpoint_id: idString.optional(),
          label: plainText(200).trim().min(1).optional(),
          expires_in_days: z.number().int().min(0).max(3650).optional(),
        })
        .refine((b) => (b.user_id === undefined) !== (b.endpoint_id === undefined), { error: 'give exactly one of user_id and endpoint_id', path: ['user_id'] }),
      handler: async ({ body, principal }) => {
        const subject = body.user_id !== undefined ? await getUser(s.store, body.user_id) : await getEndpoint(s.store, body.endpoint_id!);
        if (!subject || !mayManage(principal, subject.tenant_id)) throw notFound(body.user_id !== undefined ? `user ${body.user_id}` : `endpoint ${body.endpoint_id!}`);
        if (subject.disabled_at) throw new HttpError(409, 'conflict', 'that account is disabled');
        const role = 'role' in subject ? subject.role : 'endpoint';
        const days = body.expires_in_days ?? s.config.tokenLifetimeDays;
        const now = s.now();
        const created = await s.store.transaction((tx) =>
          createToken(
            tx,
            {
              tenantId: subject.tenant_id,
              role,
              userId: 'role' in subject ? subject.id : null,
              endpointId: 'role' in subject ? null : subject.id,
              label: body.label ?? `${role} ${subject.name}`,
              expiresAt: days > 0 ? new Date(now.getTime() + days * 86_400_000) : null,
            },
            actorFor(principal, now),
          ),
        );
        return { ...created.info, token: created.token };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/tokens',
      tag: 'accounts',
      summary: 'List tokens (never their secrets)',
      roles: ['operator', 'auditor', 'customer-admin'],
      handler: async ({ principal }) => ({ tokens: await listTokens(s.store, seesAllTenants(principal) ? undefined : principal.tenantId) }),
    }),
    defineRoute({
      method: 'DELETE',
      url: '/v1/tokens/:tokenId',
      tag: 'accounts',
      summary: 'Revoke a token (any token may revoke itself)',
      roles: ['operator', 'auditor', 'customer-admin', 'endpoint'],
      params: z.strictObject({ tokenId: idString }),
      handler: async ({ params, principal }) => {
        const token = await getToken(s.store, params.tokenId);
        const own = token?.id === principal.tokenId;
        if (!token || !(own || mayManage(principal, token.tenant_id))) throw notFound(`token ${params.tokenId}`);
        return s.store.transaction(async (tx) => (await revokeToken(tx, token.id, actorFor(principal, s.now())))!);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/me',
      tag: 'accounts',
      summary: 'Who this token is',
      roles: ['operator', 'auditor', 'customer-admin', 'endpoint'],
      handler: async ({ principal }) => ({
        token_id: principal.tokenId,
        tenant_id: principal.tenantId,
        tenant_kind: principal.tenantKind,
        role: principal.role,
        user_id: principal.userId,
        endpoint_id: principal.endpointId,
      }),
    }),
  ];
}
