/** Who may act: every token is bound to one tenant and one role (DESIGN.md 5.4). */
export const USER_ROLES = ['operator', 'customer-admin', 'auditor'] as const;
export type UserRole = (typeof USER_ROLES)[number];
export type Role = UserRole | 'endpoint';
export const ALL_ROLES: readonly Role[] = [...USER_ROLES, 'endpoint'];

export interface Principal {
  tokenId: string;
  tenantId: string;
  tenantKind: 'vendor' | 'customer';
  /** Country of residence of the tenant: the person jurisdiction of its requests. */
  tenantCountry: string | null;
  role: Role;
  userId: string | null;
  endpointId: string | null;
  /** Set when the caller presented a license activation instead of a token (the agent's way). */
  activation?: { id: string; licenseId: string; entitlements: string[] };
}

/** Operators and auditors see every tenant; everyone else only their own. */
export function seesAllTenants(p: Principal): boolean {
  return p.role === 'operator' || p.role === 'auditor';
}

export function canAccessTenant(p: Principal, tenantId: string): boolean {
  return seesAllTenants(p) || p.tenantId === tenantId;
}
