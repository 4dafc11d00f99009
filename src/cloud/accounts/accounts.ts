/**
 * Tenants (the vendor and its customers), users with a role, and endpoint identities. Every change
 * is written together with its audit record, in one transaction.
 */
import { newId } from '../auth/index.js';
import type { UserRole } from '../auth/index.js';
import { appendAudit } from '../audit/index.js';
import type { Queryable } from '../store/index.js';

export interface Tenant {
  id: string;
  name: string;
  kind: 'vendor' | 'customer';
  country: string | null;
  created_at: string;
}

export interface User {
  id: string;
  tenant_id: string;
  name: string;
  role: UserRole;
  created_at: string;
  disabled_at: string | null;
}

export interface Endpoint {
  id: string;
  tenant_id: string;
  name: string;
  country: string | null;
  created_at: string;
  disabled_at: string | null;
}

export interface Actor {
  /** `user:<id>`, `endpoint:<id>` or `system`. */
  name: string;
  now: Date;
}

export async function createTenant(tx: Queryable, input: { name: string; kind: Tenant['kind']; country: string | null }, actor: Actor): Promise<Tenant> {
  const tenant: Tenant = { id: newId('ten'), name: input.name, kind: input.kind, country: input.country, created_at: actor.now.toISOString() };
  await tx.run('INSERT INTO tenants (id, name, kind, country, created_at) VALUES (?, ?, ?, ?, ?)', [tenant.id, tenant.name, tenant.kind, tenant.country, tenant.created_at]);
  await appendAudit(tx, { kind: 'tenant.create', actor: actor.name, tenant: tenant.id, data: tenant }, actor.now);
  return tenant;
}

export async function getTenant(q: Queryable, id: string): Promise<Tenant | undefined> {
  return q.get<Tenant>('SELECT id, name, kind, country, created_at FROM tenants WHERE id = ?', [id]);
}

export async function listTenants(q: Queryable, only?: string): Promise<Tenant[]> {
  return only === undefined
    ? q.all<Tenant>('SELECT id, name, kind, country, created_at FROM tenants ORDER BY created_at, id')
    : q.all<Tenant>('SELECT id, name, kind, country, created_at FROM tenants WHERE id = ?', [only]);
}

export async function createUser(tx: Queryable, input: { tenantId: string; name: string; role: UserRole }, actor: Actor): Promise<User> {
  const user: User = { id: newId('usr'), tenant_id: input.tenantId, name: input.name, role: input.role, created_at: actor.now.toISOString(), disabled_at: null };
  await tx.run('INSERT INTO users (id, tenant_id, name, role, created_at) VALUES (?, ?, ?, ?, ?)', [user.id, user.tenant_id, user.name, user.role, user.created_at]);
  await appendAudit(tx, { kind: 'user.create', actor: actor.name, tenant: user.tenant_id, data: user }, actor.now);
  return user;
}

export async function getUser(q: Queryable, id: string): Promise<User | undefined> {
  return q.get<User>('SELECT * FROM users WHERE id = ?', [id]);
}

export async function listUsers(q: Queryable, tenantId: string): Promise<User[]> {
  return q.all<User>('SELECT * FROM users WHERE tenant_id = ? ORDER BY created_at, id', [tenantId]);
}

export async function createEndpoint(tx: Queryable, input: { tenantId: string; name: string; country: string | null }, actor: Actor): Promise<Endpoint> {
  const endpoint: Endpoint = { id: newId('end'), tenant_id: input.tenantId, name: input.name, country: input.country, created_at: actor.now.toISOString(), disabled_at: null };
  await tx.run('INSERT INTO endpoints (id, tenant_id, name, country, created_at) VALUES (?, ?, ?, ?, ?)', [
    endpoint.id,
    endpoint.tenant_id,
    endpoint.name,
    endpoint.country,
    endpoint.created_at,
  ]);
  await appendAudit(tx, { kind: 'endpoint.create', actor: actor.name, tenant: endpoint.tenant_id, data: endpoint }, actor.now);
  return endpoint;
}

export async function getEndpoint(q: Queryable, id: string): Promise<Endpoint | undefined> {
  return q.get<Endpoint>('SELECT * FROM endpoints WHERE id = ?', [id]);
}

export async function listEndpoints(q: Queryable, tenantId: string): Promise<Endpoint[]> {
  return q.all<Endpoint>('SELECT * FROM endpoints WHERE tenant_id = ? ORDER BY created_at, id', [tenantId]);
}

/** The audit actor for a request's principal. */
export function actorFor(principal: { userId: string | null; endpointId: string | null; activation?: { id: string } | undefined }, now: Date): Actor {
  const name = principal.userId ? `user:${principal.userId}` : principal.endpointId ? `endpoint:${principal.endpointId}` : principal.activation ? `activation:${principal.activation.id}` : 'system';
  return { name, now };
}
