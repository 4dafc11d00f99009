/** The vendor cloud's public door, for the CLI. */
export { startCloudService, type CloudServiceOptions, type RunningCloud } from './cloud-service.js';
export { buildCloudServer, type CloudServerOptions } from './server.js';
export { DEFAULT_CONFIG, type CloudConfig } from './config.js';
export { openStore, SQLITE_FILE_NAME } from './store/index.js';
export { StoreError, type Store } from './store/index.js';
export { mintOperatorToken, ensureVendor, type FirstTokenDelivery } from './bootstrap.js';
export { createRule, listRules, type StoredRule } from './policy/index.js';
export { ActiveRules } from './policy/index.js';
export { decide, explainDecision, type Decision, type PolicySubject } from './policy/index.js';
export { POLICY_ACTIONS, type PolicyAction } from './policy/index.js';
export { parseRuleSet, toPolicyRule, type RuleInput, type RuleSet } from './policy/index.js';
export { PolicyError } from './policy/index.js';
export { resolveTime } from './policy/index.js';
export { replaceGeoRanges, lookupCountry, countGeoRanges } from './geo/index.js';
export { readAllAudit, verifyStoredAudit, readAuditHead } from './audit/index.js';
export { GeoError, parseCidrCountryCsv, parseGeoLite2Country, sortAndCheckRanges, type GeoRange } from './geo/index.js';
export { endpointPseudonym, hashVerdict, loadOrCreateNetworkKey, NETWORK_KEY_FILE, CONSENT_CATEGORIES, MAX_EVENTS_PER_BATCH, MAX_PREFIXES_PER_LOOKUP, type ConsentCategory, type Verdict, type VerdictSource } from './network/index.js';
export { UpdateRepository, KeyVault, UpdateError, exportRepository, listReleases, compileRelease, DEFAULT_UPDATE_CONFIG, TUF_ROLES, type UpdateConfig, type UpdateErrorCode, type Release, type TufRole } from './updates/index.js';
