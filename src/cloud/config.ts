/** The cloud service's settings, with their defaults and units. */
import { connectionsBelow, readDescriptorLimit } from './http/index.js';

export interface CloudConfig {
  /** Largest request body accepted, in bytes (larger: 413). */
  bodyLimitBytes: number;
  /** Requests one token (or, unauthenticated, one address) may make per `rateLimitWindowMs`. */
  rateLimitMax: number;
  rateLimitWindowMs: number;
  /**
   * TCP connections open at once, from all addresses; more: 503 with `Retry-After` and closed.
   * Default: below the process's descriptor limit (`ulimit -n`) by an eighth of it, at least 64.
   */
  maxConnections: number;
  /** TCP connections open at once from one address (trusted proxies excepted); more: 503 with `Retry-After` and closed. */
  maxConnectionsPerAddress: number;
  /** `Retry-After` of a connection refused over a connection cap, in seconds. */
  connectionRetryAfterSeconds: number;
  /** Addresses or CIDRs of reverse proxies whose `X-Forwarded-For` is believed; none by default. */
  trustedProxies: string[];
  /** Longest page of a list endpoint. */
  maxPageSize: number;
  /** Default lifetime of a new token, in days (0: no expiry). */
  tokenLifetimeDays: number;
  /** How long a license file stays valid without a check-in, in days (capped by the license's grace end). */
  licenseFileDays: number;
  /** Activations one license may make per day (beyond that: 429), so that cycling cannot mint files. */
  activationsPerDayPerSeat: number;
  /** Security network: distinct endpoints whose detections of a hash make it malicious (verdict source `detections`). */
  networkDetectionQuorum: number;
  /** Security network: how long an agent may keep a look-up answer, in seconds (`cache_seconds`). */
  networkLookupCacheSeconds: number;
  /** Security network: prefixes one caller may look up per hour (a 4-byte prefix costs 1; shorter ones the 4-byte buckets they cover); more: 429. */
  networkLookupPrefixesPerHour: number;
  /** Security network: event batches one endpoint may send per minute; more: 429 (other endpoints are not affected). */
  networkBatchesPerMinute: number;
  /**
   * Security network: how long, in ms, the network routes may use a cached activation check and rule
   * set. Changes made through this process apply at once; changes by other processes sharing the store
   * take up to this long.
   */
  networkCacheMs: number;
  /** Security network: a gate decision identical to the last one recorded for a caller and action is recorded again after this many ms. */
  networkDecisionRecordMs: number;
}

export const DEFAULT_CONFIG: CloudConfig = {
  bodyLimitBytes: 1024 * 1024,
  rateLimitMax: 600,
  rateLimitWindowMs: 60_000,
  maxConnections: connectionsBelow(readDescriptorLimit()),
  maxConnectionsPerAddress: 64,
  connectionRetryAfterSeconds: 5,
  trustedProxies: [],
  maxPageSize: 1000,
  tokenLifetimeDays: 90,
  licenseFileDays: 30,
  activationsPerDayPerSeat: 3,
  networkDetectionQuorum: 2,
  networkLookupCacheSeconds: 3600,
  networkLookupPrefixesPerHour: 20_000,
  networkBatchesPerMinute: 60,
  networkCacheMs: 5_000,
  networkDecisionRecordMs: 10 * 60_000,
};

export type Clock = () => Date;
