/**
 * The agent's credential: `Authorization: Activation <activation id>.<secret>`, the pair it got when
 * it activated a license. It stands for an endpoint of the license holder's tenant, for as long as
 * the activation is live and the license usable (active or in grace); what it may use is the
 * license's entitlements (routes check them).
 */
import type { Principal } from '../auth/index.js';
import type { Queryable } from '../store/index.js';
import { activationSecretMatches, getActivation } from './activations.js';
import { getLicense, licenseState } from './licenses.js';

export async function authenticateActivation(q: Queryable, id: string, secret: string, now: Date): Promise<Principal | 'unknown' | 'revoked' | 'expired' | 'disabled'> {
  const activation = await getActivation(q, id);
  if (!activation || !activationSecretMatches(secret, activation.secret_hash)) return 'unknown';
  if (activation.deactivated_at) return 'revoked';
  const license = await getLicense(q, activation.license_id);
  if (!license) return 'unknown';
  const state = licenseState(license, now);
  if (state === 'expired' || state === 'not_started') return 'expired';
  if (state === 'revoked') return 'revoked';
  if (state === 'suspended') return 'disabled';
  const tenant = await q.get<{ country: string | null }>('SELECT country FROM tenants WHERE id = ?', [license.tenant_id]);
  return {
    tokenId: `activation:${activation.id}`,
    tenantId: license.tenant_id,
    tenantKind: 'customer',
    tenantCountry: tenant?.country ?? null,
    role: 'endpoint',
    userId: null,
    endpointId: null,
    activation: { id: activation.id, licenseId: license.id, entitlements: license.entitlements },
  };
}
