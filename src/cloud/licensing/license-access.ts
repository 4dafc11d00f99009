/** Who may see and manage a license, and the checks routes share before changing one. */
import { getTenant, type Tenant } from '../accounts/index.js';
import { canAccessTenant, type Principal } from '../auth/index.js';
import { forbidden, HttpError, notFound } from '../http/index.js';
import type { Queryable } from '../store/index.js';
import { getLicense, type License } from './licenses.js';

/** A license of a tenant the caller may see (404 otherwise, as for one that does not exist). */
export async function visibleLicense(q: Queryable, principal: Principal, id: string, lock = false): Promise<License> {
  const license = await getLicense(q, id, lock);
  if (!license || !canAccessTenant(principal, license.tenant_id)) throw notFound(`license ${id}`);
  return license;
}

export function requireManager(principal: Principal, license: License): void {
  if (!(principal.role === 'operator' || (principal.role === 'customer-admin' && principal.tenantId === license.tenant_id))) throw forbidden();
}

/**
 * A license the caller may manage, read under its row lock inside `tx`: every check a route makes
 * after this sees the row as it will be changed, never a copy read before another change committed.
 */
export async function lockManagedLicense(tx: Queryable, principal: Principal, id: string): Promise<License> {
  const license = await visibleLicense(tx, principal, id, true);
  requireManager(principal, license);
  return license;
}

export async function requireCustomer(q: Queryable, id: string, path: string): Promise<Tenant> {
  const tenant = await getTenant(q, id);
  if (!tenant) throw notFound(`tenant ${id}`);
  if (tenant.kind !== 'customer') throw new HttpError(400, 'invalid_request', 'licenses belong to customer tenants', [{ path, message: 'not a customer tenant' }]);
  return tenant;
}
