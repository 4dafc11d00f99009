/** The public door of cloud/auth: what the rest of Vigil may use from it. */
export { USER_ROLES, canAccessTenant, seesAllTenants, type Principal, type Role, type UserRole } from './roles.js';
export { newId, newTokenSecret, parseToken, secretMatches } from './token-secret.js';
