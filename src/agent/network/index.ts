/** The public door of agent/network: what the rest of Vigil may use from it. */
export { BACKOFF_BASE_MS, BACKOFF_CAP_MS, backoffDelay, systemClock, type Clock } from './backoff.js';
export { CONSENT_CATEGORIES, CONSENT_FILE, NETWORK_DIR, consentPath, readConsent, writeConsent, type ConsentCategory, type ConsentRecord } from './consent.js';
export { BATCH_MAX_EVENTS, DEFAULT_QUEUE_MAX_EVENTS, DROP_REASONS, EventQueue, QUARANTINE_MAX_BATCHES, UNKNOWN_REPORT_INTERVAL_MS, type DropReason, type QueueStats, type QueuedBatch } from './event-queue.js';
export { hashFile } from './file-hash.js';
export { NETWORK_REQUEST_TIMEOUT_MS, NetworkClient, networkClientFor, type ConsentAnswer, type EventsAnswer, type KnownHash, type LookupAnswer, type NetworkClientOptions, type Verdict } from './network-client.js';
export { DEFAULT_SYNC_TIMEOUT_MS, QUEUE_MAX_EVENTS_RANGE, disableNetwork, enableNetwork, networkStatus, syncNetwork, type DisableOutcome, type EnableOutcome, type EnableRequest, type NetworkStatus, type SyncRequest } from './network-control.js';
export { NetworkError, type NetworkErrorCode } from './network-error.js';
export { checkEvent, type EventKind, type NetworkEvent } from './network-event.js';
export { type Backoff, type LastError, type LastSend, type NetworkStop, type StopReason } from './network-state.js';
export { QUEUE_FILE, networkStoreExists, openNetworkStore, queuePath, type NetworkStore, type NetworkStoreOptions } from './network-store.js';
export { REPUTATION_CACHE_MAX_HASHES, ReputationCache } from './reputation-cache.js';
export { DEFAULT_CLOUD_TIMEOUT_MS, LOOKUP_MAX_PREFIXES, PREFIX_HEX_CHARS, lookUpReputation, prefixOf, type ReputationOutcome } from './reputation-lookup.js';
export { CLOUD_DETECTION_NAME, ScanNetwork, describeStop, startScanNetwork, type ResolvedFile, type ScanNetworkOptions, type ScanNetworkStart, type ScanNetworkSummary } from './scan-network.js';
export { syncQueue, type SyncOptions, type SyncOutcome, type SyncResult } from './sender.js';
