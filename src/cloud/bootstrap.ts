/**
 * First start: a store with no vendor tenant gets one, with an operator user and a token printed
 * once. Later starts reuse the data. `mintOperatorToken` is the recovery path for whoever holds
 * the data folder (or the database URL), which is already full control.
 */
import { createTenant, createUser, getUser, type Actor } from './accounts/index.js';
import { createToken } from './accounts/index.js';
import { LOCK_BOOTSTRAP, lockTransaction, type Queryable, type Store } from './store/index.js';

/**
 * Where the first operator token goes: `'return'` puts it in the answer (tests, libraries); a
 * function receives it inside the creating transaction, so a token that cannot be handed over is
 * not created (the function throws, the vendor is rolled back); `'none'` creates the operator
 * without a token (nowhere to show it: `vigil cloud token` mints one).
 */
export type FirstTokenDelivery = 'return' | 'none' | ((token: string) => void);

export interface Bootstrap {
  created: boolean;
  vendorTenantId: string;
  /** The operator token, present only when it was just created and delivery was `'return'`. */
  operatorToken?: string;
}

async function vendorOperator(store: Queryable): Promise<{ tenantId: string; userId: string } | undefined> {
  return store.get<{ tenantId: string; userId: string }>(
    `SELECT t.id AS "tenantId", u.id AS "userId" FROM tenants t JOIN users u ON u.tenant_id = t.id
      WHERE t.kind = 'vendor' AND u.role = 'operator' AND u.disabled_at IS NULL ORDER BY u.created_at LIMIT 1`,
  );
}

export async function ensureVendor(store: Store, now: Date, tokenLifetimeDays: number, delivery: FirstTokenDelivery = 'return'): Promise<Bootstrap> {
  const existing = await vendorOperator(store);
  if (existing) return { created: false, vendorTenantId: existing.tenantId };
  const actor: Actor = { name: 'system', now };
  return store.transaction(async (tx) => {
    // Several processes may start together on one new PostgreSQL database: one creates the vendor.
    await lockTransaction(tx, LOCK_BOOTSTRAP);
    const raced = await vendorOperator(tx);
    if (raced) return { created: false, vendorTenantId: raced.tenantId };
    const tenant = await createTenant(tx, { name: 'Vendor', kind: 'vendor', country: null }, actor);
    const user = await createUser(tx, { tenantId: tenant.id, name: 'operator', role: 'operator' }, actor);
    if (delivery === 'none') return { created: true, vendorTenantId: tenant.id };
    const { token } = await createToken(
      tx,
      { tenantId: tenant.id, role: 'operator', userId: user.id, endpointId: null, label: 'first operator token', expiresAt: expiry(now, tokenLifetimeDays) },
      actor,
    );
    if (delivery === 'return') return { created: true, vendorTenantId: tenant.id, operatorToken: token };
    delivery(token);
    return { created: true, vendorTenantId: tenant.id };
  });
}

function expiry(now: Date, days: number): Date | null {
  return days > 0 ? new Date(now.getTime() + days * 86_400_000) : null;
}

export async function mintOperatorToken(store: Store, now: Date, actorName: string, tokenLifetimeDays: number): Promise<string> {
  const found = await vendorOperator(store);
  if (!found) {
    // New data: the bootstrap's own token is the one to hand out.
    const boot = await ensureVendor(store, now, tokenLifetimeDays);
    if (boot.operatorToken) return boot.operatorToken;
  }
  const operator = found ?? (await vendorOperator(store));
  if (!operator) throw new Error('no operator user could be found or created');
  const user = await getUser(store, operator.userId);
  return store.transaction(async (tx) => {
    const { token } = await createToken(
      tx,
      { tenantId: operator.tenantId, role: 'operator', userId: operator.userId, endpointId: null, label: `operator token for ${user?.name ?? 'operator'} (minted locally)`, expiresAt: expiry(now, tokenLifetimeDays) },
      { name: actorName, now },
    );
    return token;
  });
}
