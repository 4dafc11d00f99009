/** Settings of the update repository, with their defaults and units. */
export interface UpdateConfig {
  /** Lifetime of each role's metadata, in days: timestamp short, root long (TUF 4.3-4.6 `expires`). */
  expiryDays: { root: number; targets: number; snapshot: number; timestamp: number };
  /** Root keys, and how many of them must sign a root (TUF 4.3 `threshold`). */
  rootKeys: number;
  rootThreshold: number;
  /** Deltas written for each release: from each of the previous `keepDeltas` releases. */
  keepDeltas: number;
  /** Block size of the delta matcher, in bytes. */
  deltaBlockBytes: number;
  /** Largest compiled image published, in bytes (agents and auditors take images up to 1 GiB). */
  maxImageBytes: number;
  /** The transparency log's origin line (also its key name), for a repository created now. */
  logOrigin: string;
}

export const DEFAULT_UPDATE_CONFIG: UpdateConfig = {
  expiryDays: { root: 365, targets: 30, snapshot: 7, timestamp: 1 },
  rootKeys: 3,
  rootThreshold: 2,
  keepDeltas: 3,
  deltaBlockBytes: 64,
  maxImageBytes: 1024 * 1024 * 1024,
  logOrigin: 'vigil.example/updates/log',
};

export const TUF_ROLES = ['root', 'targets', 'snapshot', 'timestamp'] as const;
export type TufRole = (typeof TUF_ROLES)[number];
/** Keys kept in `keys/updates/`: one set per TUF role, the log's, and the log clock's (protocol/tlog/clock-cosignature.ts). */
export type KeyRole = TufRole | 'log' | 'log-clock';
export const KEY_ROLES: readonly KeyRole[] = [...TUF_ROLES, 'log', 'log-clock'];

/** Fills in defaults and checks the settings. */
export function resolveUpdateConfig(partial: Partial<UpdateConfig> = {}): UpdateConfig {
  const config: UpdateConfig = { ...DEFAULT_UPDATE_CONFIG, ...partial, expiryDays: { ...DEFAULT_UPDATE_CONFIG.expiryDays, ...partial.expiryDays } };
  const positive = (name: string, n: number, min = 1) => {
    if (!Number.isFinite(n) || n < min) throw new RangeError(`${name} must be at least ${min}, not ${n}`);
  };
  for (const role of TUF_ROLES) positive(`expiryDays.${role}`, config.expiryDays[role], 1 / 24);
  positive('rootKeys', config.rootKeys);
  positive('rootThreshold', config.rootThreshold);
  if (!Number.isInteger(config.rootKeys) || !Number.isInteger(config.rootThreshold) || config.rootThreshold > config.rootKeys) throw new RangeError(`the root threshold (${config.rootThreshold}) must be a whole number of keys, at most rootKeys (${config.rootKeys})`);
  if (!Number.isInteger(config.keepDeltas) || config.keepDeltas < 0) throw new RangeError(`keepDeltas must be a whole number, not ${config.keepDeltas}`);
  positive('deltaBlockBytes', config.deltaBlockBytes, 4);
  positive('maxImageBytes', config.maxImageBytes);
  return config;
}
