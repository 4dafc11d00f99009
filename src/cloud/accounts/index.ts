/** The public door of cloud/accounts: what the rest of Vigil may use from it. */
export { accountRoutes } from './account-routes.js';
export { actorFor, createTenant, createUser, getTenant, getUser, type Actor, type Tenant } from './accounts.js';
export { authenticate, createToken } from './tokens.js';
