/**
 * Bearer tokens bound to a tenant and a role, stored hashed, revocable, with an expiry. A token
 * belongs to a user (its role is the user's) or to an endpoint (role `endpoint`).
 */
import { appendAudit } from '../audit/index.js';
import type { Principal, Role } from '../auth/index.js';
import { newTokenSecret, parseToken, secretMatches } from '../auth/index.js';
import type { Queryable } from '../store/index.js';
import type { Actor } from './accounts.js';

export interface TokenInfo {
  id: string;
  tenant_id: string;
  role: Role;
  user_id: string | null;
  endpoint_id: string | null;
  label: string;
  created_at: string;
  created_by: string | null;
  expires_at: string | null;
  revoked_at: string | null;
}

const TOKEN_COLUMNS = 'id, tenant_id, role, user_id, endpoint_id, label, created_at, created_by, expires_at, revoked_at';

export interface NewToken {
  tenantId: string;
  role: Role;
  userId: string | null;
  endpointId: string | null;
  label: string;
  expiresAt: Date | null;
}

/** Creates a token; the secret is in the returned `token` and nowhere else, ever. */
export async function createToken(tx: Queryable, input: NewToken, actor: Actor): Promise<{ token: string; info: TokenInfo }> {
  const secret = newTokenSecret();
  const info: TokenInfo = {
    id: secret.id,
    tenant_id: input.tenantId,
    role: input.role,
    user_id: input.userId,
    endpoint_id: input.endpointId,
    label: input.label,
    created_at: actor.now.toISOString(),
    created_by: actor.name,
    expires_at: input.expiresAt?.toISOString() ?? null,
    revoked_at: null,
  };
  await tx.run(
    'INSERT INTO tokens (id, secret_hash, tenant_id, role, user_id, endpoint_id, label, created_at, created_by, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    [info.id, secret.secretHash, info.tenant_id, info.role, info.user_id, info.endpoint_id, info.label, info.created_at, info.created_by, info.expires_at],
  );
  await appendAudit(tx, { kind: 'token.create', actor: actor.name, tenant: info.tenant_id, data: info }, actor.now);
  return { token: secret.token, info };
}

export async function getToken(q: Queryable, id: string): Promise<TokenInfo | undefined> {
  return q.get<TokenInfo>(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE id = ?`, [id]);
}

export async function listTokens(q: Queryable, tenantId?: string): Promise<TokenInfo[]> {
  return tenantId === undefined
    ? q.all<TokenInfo>(`SELECT ${TOKEN_COLUMNS} FROM tokens ORDER BY created_at, id`)
    : q.all<TokenInfo>(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE tenant_id = ? ORDER BY created_at, id`, [tenantId]);
}

/** Revokes a token; revoking one that is already revoked changes nothing and records nothing. */
export async function revokeToken(tx: Queryable, id: string, actor: Actor): Promise<TokenInfo | undefined> {
  const token = await getToken(tx, id);
  if (!token || token.revoked_at) return token;
  const revoked = { ...token, revoked_at: actor.now.toISOString() };
  await tx.run('UPDATE tokens SET revoked_at = ? WHERE id = ?', [revoked.revoked_at, id]);
  await appendAudit(tx, { kind: 'token.revoke', actor: actor.name, tenant: token.tenant_id, data: { id, revoked_at: revoked.revoked_at } }, actor.now);
  return revoked;
}

export type AuthFailure = 'malformed' | 'unknown' | 'revoked' | 'expired' | 'disabled';

/** Checks a presented bearer token; the failure reason is for logs, clients only learn "invalid". */
export async function authenticate(q: Queryable, presented: string, now: Date): Promise<Principal | AuthFailure> {
  const parsed = parseToken(presented);
  if (!parsed) return 'malformed';
  const row = await q.get<TokenInfo & { secret_hash: string; kind: 'vendor' | 'customer'; country: string | null; user_disabled: string | null; endpoint_disabled: string | null }>(
    `SELECT t.id, t.secret_hash, t.tenant_id, t.role, t.user_id, t.endpoint_id, t.expires_at, t.revoked_at,
            n.kind, n.country, u.disabled_at AS user_disabled, e.disabled_at AS endpoint_disabled
       FROM tokens t JOIN tenants n ON n.id = t.tenant_id
       LEFT JOIN users u ON u.id = t.user_id LEFT JOIN endpoints e ON e.id = t.endpoint_id
      WHERE t.id = ?`,
    [parsed.id],
  );
  if (!row || !secretMatches(parsed.secret, row.secret_hash)) return 'unknown';
  if (row.revoked_at) return 'revoked';
  if (row.expires_at && Date.parse(row.expires_at) <= now.getTime()) return 'expired';
  if (row.user_disabled || row.endpoint_disabled) return 'disabled';
  return {
    tokenId: row.id,
    tenantId: row.tenant_id,
    tenantKind: row.kind,
    tenantCountry: row.country,
    role: row.role,
    userId: row.user_id,
    endpointId: row.endpoint_id,
  };
}
