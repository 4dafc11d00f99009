/** The vendor cloud's public door, for the CLI. */
export { startCloudService, type CloudServiceOptions, type RunningCloud } from './cloud-service.js';
export { buildCloudServer, type CloudServerOptions } from './server.js';
export { DEFAULT_CONFIG, type CloudConfig } from './config.js';
export { openStore, SQLITE_FILE_NAME } from './store/open-store.js';
export { StoreError, type Store } from './store/store.js';
export { mintOperatorToken, ensureVendor } from './bootstrap.js';
export { createRule, listRules, type StoredRule } from './policy/rule-store.js';
export { ActiveRules } from './policy/rule-store.js';
export { decide, explainDecision, type Decision, type PolicySubject } from './policy/decide.js';
export { POLICY_ACTIONS, type PolicyAction } from './policy/actions.js';
export { parseRuleSet, toPolicyRule, type RuleInput, type RuleSet } from './policy/rule.js';
export { PolicyError } from './policy/errors.js';
export { resolveTime } from './policy/zoned-time.js';
export { replaceGeoRanges, lookupCountry, countGeoRanges } from './geo/geo-store.js';
export { readAllAudit, verifyStoredAudit, readAuditHead } from './audit/audit-log.js';
export { GeoError, parseCidrCountryCsv, parseGeoLite2Country, sortAndCheckRanges, type GeoRange } from './geo/index.js';
export { endpointPseudonym, hashVerdict, loadOrCreateNetworkKey, NETWORK_KEY_FILE, CONSENT_CATEGORIES, MAX_EVENTS_PER_BATCH, MAX_PREFIXES_PER_LOOKUP, type ConsentCategory, type Verdict, type VerdictSource } from './network/index.js';
export { UpdateRepository, KeyVault, UpdateError, exportRepository, listReleases, compileRelease, DEFAULT_UPDATE_CONFIG, TUF_ROLES, type UpdateConfig, type UpdateErrorCode, type Release, type TufRole } from './updates/index.js';
