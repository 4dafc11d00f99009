/** The security network's public door. */
export { NetworkRuntime } from './network-runtime.js';
export { networkRoutes } from './network-routes.js';
export { endpointPseudonym, generateNetworkKey, loadOrCreateNetworkKey, NETWORK_KEY_FILE } from './network-key.js';
export { hashVerdict, VERDICTS, type Verdict, type VerdictSource } from './verdict.js';
export { CONSENT_CATEGORIES, type ConsentCategory } from './consent.js';
export { MAX_EVENTS_PER_BATCH, MAX_PREFIXES_PER_LOOKUP } from './event-schema.js';
