/**
 * Licenses: issued by an order to a customer tenant for a plan, renewed, suspended, resumed,
 * revoked and transferred. A license is valid from `starts_at` to `expires_at`, then in grace for
 * `grace_days` (updates go on, the user is told to renew), then expired. Revoking or transferring
 * ends every activation. Every change writes its audit record in the same transaction.
 */
import { generateLicenseKey, hashLicenseKey, licenseKeyHint } from '../../protocol/index.js';
import type { Actor } from '../accounts/index.js';
import { appendAudit } from '../audit/index.js';
import { newId } from '../auth/index.js';
import { forUpdate, type Queryable } from '../store/index.js';
import type { Entitlement, Plan } from './catalog.js';

const DAY_MS = 86_400_000;

export type LicenseStatus = 'active' | 'suspended' | 'revoked';
export type LicenseState = 'active' | 'grace' | 'expired' | 'suspended' | 'revoked' | 'not_started';

export interface License {
  id: string;
  key_hint: string;
  tenant_id: string;
  tenant_name: string;
  plan_id: string;
  plan: string;
  product: string;
  seats: number;
  entitlements: Entitlement[];
  status: LicenseStatus;
  starts_at: string;
  expires_at: string;
  grace_days: number;
  grace_until: string;
  created_at: string;
  updated_at: string;
}

interface LicenseRow extends Omit<License, 'entitlements' | 'grace_until'> {
  entitlements: string;
}

const SELECT = `SELECT l.id, l.key_hint, l.tenant_id, t.name AS tenant_name, l.plan_id, p.name AS plan, r.name AS product,
    l.seats, l.entitlements, l.status, l.starts_at, l.expires_at, l.grace_days, l.created_at, l.updated_at
  FROM licenses l JOIN tenants t ON t.id = l.tenant_id JOIN plans p ON p.id = l.plan_id JOIN products r ON r.id = p.product_id`;

function toLicense(row: LicenseRow): License {
  return {
    ...row,
    entitlements: JSON.parse(row.entitlements) as Entitlement[],
    grace_until: new Date(Date.parse(row.expires_at) + row.grace_days * DAY_MS).toISOString(),
  };
}

/** Where a license stands at an instant. */
export function licenseState(license: License, now: Date): LicenseState {
  if (license.status !== 'active') return license.status;
  const t = now.getTime();
  if (t < Date.parse(license.starts_at)) return 'not_started';
  if (t < Date.parse(license.expires_at)) return 'active';
  if (t < Date.parse(license.grace_until)) return 'grace';
  return 'expired';
}

export async function getLicense(q: Queryable, id: string, lock = false): Promise<License | undefined> {
  if (lock) await q.get(`SELECT id FROM licenses WHERE id = ?${forUpdate(q)}`, [id]);
  const row = await q.get<LicenseRow>(`${SELECT} WHERE l.id = ?`, [id]);
  return row && toLicense(row);
}

export async function findLicenseByKey(q: Queryable, key: string, lock = false): Promise<License | undefined> {
  const row = await q.get<{ id: string }>('SELECT id FROM licenses WHERE key_hash = ?', [hashLicenseKey(key)]);
  return row && getLicense(q, row.id, lock);
}

export async function listLicenses(q: Queryable, tenantId?: string): Promise<License[]> {
  const rows = tenantId === undefined ? await q.all<LicenseRow>(`${SELECT} ORDER BY l.created_at, l.id`) : await q.all<LicenseRow>(`${SELECT} WHERE l.tenant_id = ? ORDER BY l.created_at, l.id`, [tenantId]);
  return rows.map(toLicense);
}

/** Issues a license for `plan` to a tenant (an order of kind `new`); the key is returned only here. */
export async function issueLicense(tx: Queryable, tenantId: string, plan: Plan, actor: Actor): Promise<{ license: License; key: string; orderId: string }> {
  const key = generateLicenseKey();
  const id = newId('lic');
  const now = actor.now.toISOString();
  const expires = new Date(actor.now.getTime() + plan.duration_days * DAY_MS).toISOString();
  await tx.run(
    `INSERT INTO licenses (id, key_hash, key_hint, tenant_id, plan_id, seats, entitlements, status, starts_at, expires_at, grace_days, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?, ?, ?)`,
    [id, hashLicenseKey(key), licenseKeyHint(key), tenantId, plan.id, plan.seats, JSON.stringify(plan.entitlements), now, expires, plan.grace_days, now, now],
  );
  const orderId = newId('ord');
  await tx.run("INSERT INTO orders (id, tenant_id, plan_id, kind, license_id, created_at, created_by) VALUES (?, ?, ?, 'new', ?, ?, ?)", [orderId, tenantId, plan.id, id, now, actor.name]);
  const license = (await getLicense(tx, id))!;
  await appendAudit(tx, { kind: 'license.issue', actor: actor.name, tenant: tenantId, data: { order: orderId, license } }, actor.now);
  return { license, key, orderId };
}

/** Adds one plan period, from the later of now and the current expiry. */
export async function renewLicense(tx: Queryable, license: License, plan: Plan, actor: Actor): Promise<{ license: License; orderId: string }> {
  const from = Math.max(actor.now.getTime(), Date.parse(license.expires_at));
  const expires = new Date(from + plan.duration_days * DAY_MS).toISOString();
  const now = actor.now.toISOString();
  await tx.run('UPDATE licenses SET expires_at = ?, plan_id = ?, seats = ?, entitlements = ?, grace_days = ?, updated_at = ? WHERE id = ?', [
    expires,
    plan.id,
    plan.seats,
    JSON.stringify(plan.entitlements),
    plan.grace_days,
    now,
    license.id,
  ]);
  const orderId = newId('ord');
  await tx.run("INSERT INTO orders (id, tenant_id, plan_id, kind, license_id, created_at, created_by) VALUES (?, ?, ?, 'renewal', ?, ?, ?)", [orderId, license.tenant_id, plan.id, license.id, now, actor.name]);
  const renewed = (await getLicense(tx, license.id))!;
  await appendAudit(tx, { kind: 'license.renew', actor: actor.name, tenant: license.tenant_id, data: { order: orderId, license: renewed.id, expires_at: renewed.expires_at } }, actor.now);
  return { license: renewed, orderId };
}

/** Ends every active activation of a license; returns how many. */
export async function endActivations(tx: Queryable, licenseId: string, reason: string, actor: Actor): Promise<number> {
  const { changes } = await tx.run('UPDATE activations SET deactivated_at = ?, ended_by = ? WHERE license_id = ? AND deactivated_at IS NULL', [actor.now.toISOString(), `${actor.name} (${reason})`, licenseId]);
  return changes;
}

export async function setLicenseStatus(tx: Queryable, license: License, status: LicenseStatus, actor: Actor): Promise<License> {
  await tx.run('UPDATE licenses SET status = ?, updated_at = ? WHERE id = ?', [status, actor.now.toISOString(), license.id]);
  const ended = status === 'revoked' ? await endActivations(tx, license.id, 'license revoked', actor) : 0;
  const kind = status === 'revoked' ? 'license.revoke' : status === 'suspended' ? 'license.suspend' : 'license.resume';
  await appendAudit(tx, { kind, actor: actor.name, tenant: license.tenant_id, data: { license: license.id, from: license.status, to: status, activations_ended: ended } }, actor.now);
  return (await getLicense(tx, license.id))!;
}

/**
 * Moves a license to another tenant: both sides recorded, every activation ended. Called only when
 * the receiving tenant accepted an offer (`offer`, see transfer-offers.ts).
 */
export async function transferLicense(tx: Queryable, license: License, toTenantId: string, actor: Actor, offer: string): Promise<{ license: License; transferId: string }> {
  const ended = await endActivations(tx, license.id, 'license transferred', actor);
  await tx.run('UPDATE licenses SET tenant_id = ?, updated_at = ? WHERE id = ?', [toTenantId, actor.now.toISOString(), license.id]);
  const id = newId('trf');
  await tx.run('INSERT INTO license_transfers (id, license_id, from_tenant, to_tenant, at, by_actor) VALUES (?, ?, ?, ?, ?, ?)', [id, license.id, license.tenant_id, toTenantId, actor.now.toISOString(), actor.name]);
  const data = { transfer: id, offer, license: license.id, from_tenant: license.tenant_id, to_tenant: toTenantId, activations_ended: ended };
  // One record for each side, so each tenant's admins see it in their own audit view.
  await appendAudit(tx, { kind: 'license.transfer.out', actor: actor.name, tenant: license.tenant_id, data }, actor.now);
  await appendAudit(tx, { kind: 'license.transfer.in', actor: actor.name, tenant: toTenantId, data }, actor.now);
  return { license: (await getLicense(tx, license.id))!, transferId: id };
}
