/** The cloud service's settings, with their defaults and units. */
export interface CloudConfig {
  /** Largest request body accepted, in bytes (larger: 413). */
  bodyLimitBytes: number;
  /** Requests one token (or, unauthenticated, one address) may make per `rateLimitWindowMs`. */
  rateLimitMax: number;
  rateLimitWindowMs: number;
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
}

export const DEFAULT_CONFIG: CloudConfig = {
  bodyLimitBytes: 1024 * 1024,
  rateLimitMax: 600,
  rateLimitWindowMs: 60_000,
  trustedProxies: [],
  maxPageSize: 1000,
  tokenLifetimeDays: 90,
  licenseFileDays: 30,
  activationsPerDayPerSeat: 3,
};

export type Clock = () => Date;
