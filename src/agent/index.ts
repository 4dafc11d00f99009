/** The agent's public door: what the CLI may use. Everything else in src/agent is private. */
export {
  DEFAULT_MACHINE_ID_FILES,
  MACHINE_FINGERPRINT_PREFIX,
  MachineFingerprintError,
  defaultFallbackFile,
  machineFingerprint,
  type MachineFingerprint,
  type MachineFingerprintErrorCode,
  type MachineFingerprintOptions,
} from './license/fingerprint.js';
export { AGENT_DIR_MODE, agentDirPath, ensureAgentDir } from './agent-dir.js';
export { LicenseError, type LicenseErrorCode, type ServerRefusal } from './license/license-error.js';
export { describeAction, type PolicyDecision } from './policy-decision.js';
export { LICENSE_REQUEST_TIMEOUT_MS, LICENSE_RESPONSE_MAX_BYTES, LicenseClient } from './license/license-client.js';
export { parseRetryAfter } from './cloud-answer.js';
export type { ActivationAnswer, DeactivationAnswer, LicenseClientOptions, RefreshAnswer, VendorKeyAnswer } from './license/license-client.js';
export { ACTIVATION_FILE, LICENSE_FILE, LICENSE_STATE_DIR, STATE_FILE_MODE, licenseStatePaths, readActivation, readLicenseFile, type ActivationRecord } from './license/license-state.js';
export { thisMachine } from './license/machine.js';
export { checkLicense, presentLicense, type ActivationSummary, type CheckLicenseOptions, type LicenseVerdict, type LicenseVerdictState } from './license/entitlement.js';
export { activateLicense, deactivateLicense, refreshLicense } from './license/activation.js';
export type { ActivateOutcome, ActivateRequest, DeactivateOutcome, DeactivateRequest, LicenseReceipt, RefreshRequest } from './license/activation.js';
export { CONSENT_CATEGORIES, CONSENT_FILE, NETWORK_DIR, consentPath, readConsent, writeConsent, type ConsentCategory, type ConsentRecord } from './network/consent.js';
export { NetworkError, type NetworkErrorCode } from './network/network-error.js';
export { checkEvent, type EventKind, type NetworkEvent } from './network/network-event.js';
export { BATCH_MAX_EVENTS, DEFAULT_QUEUE_MAX_EVENTS, DROP_REASONS, EventQueue, QUARANTINE_MAX_BATCHES, UNKNOWN_REPORT_INTERVAL_MS, type DropReason, type QueuedBatch, type QueueStats } from './network/event-queue.js';
export { QUEUE_FILE, networkStoreExists, openNetworkStore, queuePath, type NetworkStore, type NetworkStoreOptions } from './network/network-store.js';
export type { Backoff, LastError, LastSend, NetworkStop, StopReason } from './network/network-state.js';
export { BACKOFF_BASE_MS, BACKOFF_CAP_MS, backoffDelay, systemClock, type Clock } from './network/backoff.js';
export { NETWORK_REQUEST_TIMEOUT_MS, NetworkClient, networkClientFor, type ConsentAnswer, type EventsAnswer, type KnownHash, type LookupAnswer, type NetworkClientOptions, type Verdict } from './network/network-client.js';
export { syncQueue, type SyncOptions, type SyncOutcome, type SyncResult } from './network/sender.js';
export { REPUTATION_CACHE_MAX_HASHES, ReputationCache } from './network/reputation-cache.js';
export { DEFAULT_CLOUD_TIMEOUT_MS, LOOKUP_MAX_PREFIXES, PREFIX_HEX_CHARS, lookUpReputation, prefixOf, type ReputationOutcome } from './network/reputation-lookup.js';
export { hashFile } from './network/file-hash.js';
export { CLOUD_DETECTION_NAME, ScanNetwork, describeStop, startScanNetwork, type ResolvedFile, type ScanNetworkOptions, type ScanNetworkStart, type ScanNetworkSummary } from './network/scan-network.js';
export { DEFAULT_SYNC_TIMEOUT_MS, QUEUE_MAX_EVENTS_RANGE, disableNetwork, enableNetwork, networkStatus, syncNetwork } from './network/network-control.js';
export type { DisableOutcome, EnableOutcome, EnableRequest, NetworkStatus, SyncRequest } from './network/network-control.js';
export * from './quarantine/index.js';
export { NO_FILTER, skipsFile, skipsFolder, TreeWatcher, WATCH_DEBOUNCE_MS, WATCH_MAX_DELAY_MS, WATCH_SCAN_CONCURRENCY, WATCH_START_SLACK_MS, WatchSession } from './watch/index.js';
export type { PathFilter, TreeWatcherOptions, WatchSessionOptions, WatchStop } from './watch/index.js';
export { alertsOf, defaultScanSettings, limitsOf, pathFilterOf, scannerOptionsOf, type ScanSettings, type SettableLimits, type SymlinkLevel } from './scan/index.js';
export { clamdScanDirectives, cliEntries, isUnsupported, SCAN_SETTING_TABLE, type CliFront, type CommandName, type SettingEntry, type SettingValue, type Unsupported } from './scan/index.js';
export { scanSettingsFromFlags, scanSettingsFromLibraryOptions, type InvalidFlag, type LibraryScanOptions } from './scan/index.js';
export { IN_FLIGHT_PER_WORKER, POOL_MIN_FILE_SIZE, ScanJob, scansInPool, walk, wantsPool, type ScanJobEvent, type ScanJobOptions, type WalkEvent, type WalkOptions, type WalkSettings } from './scan/index.js';
export { ClamdClient, ClamdError, readScanReply, type ClamdClientOptions, type ClamdErrorCode, type RemoteScanResult } from './clamd-client.js';
export { ClamdDaemon, COMMAND_MAX_BYTES, DaemonError, DaemonLog, DEFAULT_TCP_ADDRESS, DEFAULT_TCP_PORT, defaultSettings, formatConfigProblem, frameCommand, parseClamdConfig, parseCommand } from './daemon/index.js';
export { readClamdConfig, REPLY, settingsFromClamdConfig, SHUTDOWN_GRACE_MS, SUPPORTED_OPTIONS, UNSUPPORTED_OPTIONS } from './daemon/index.js';
export type { ClamdConfig, ConfigProblem, DaemonErrorCode, DaemonLogOptions, DaemonSettings, DaemonStartOptions, ListenAddress, OptionValue } from './daemon/index.js';
export * from './auditor/index.js';
export * from './update/index.js';
