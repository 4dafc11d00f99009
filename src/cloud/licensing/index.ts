/** The public door of cloud/licensing: what the rest of Vigil may use from it. */
export { authenticateActivation } from './activation-auth.js';
export { activationRoutes } from './activation-routes.js';
export { licenseRoutes } from './license-routes.js';
export { getLicense } from './licenses.js';
export { generateSigningKey, loadOrCreateSigningKey, type LicenseSigningKey } from './signing-key.js';
