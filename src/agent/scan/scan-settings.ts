/**
 * One settings type for every scan Vigil runs, whichever front end asked for it: `vigil scan`,
 * `vigil watch`, `vigil daemon` (clamd.conf and its flags) and the library's `createScanner`
 * options. What each setting is called on each front is listed once, in scan-setting-table.ts; the
 * builders (settings-from-flags.ts, daemon/settings-from-clamd.ts, settings-from-library.ts) read it.
 *
 * Two scopes: input settings decide how one file or stream is scanned (the engine's limits and
 * heuristic alerts, clamscan(1) and clamd.conf(5) names); walk settings decide which files of a
 * folder are scanned at all (exclusions, symbolic links).
 */
import { DEFAULT_ALERTS, DEFAULT_LIMITS, type ScanAlerts, type ScanLimits, type ScannerOptions } from '../../engine/index.js';
import type { PathFilter } from '../watch/index.js';

/** Symbolic links: 0 never followed, 1 followed when named on the command line, 2 followed everywhere (clamscan's levels). */
export type SymlinkLevel = 0 | 1 | 2;

/** The engine's limits that a front end may set (minScanSize is fixed, as in ClamAV). */
export type SettableLimits = Omit<ScanLimits, 'minScanSize'>;

export interface ScanSettings extends SettableLimits {
  /** Report every matching signature, not just the first (`--allmatch`; the daemon's ALLMATCHSCAN). */
  allMatch: boolean;
  /** Report a limit hit as `Heuristics.Limits.Exceeded.<Limit>` (AlertExceedsMax). */
  alertExceedsMax: boolean;
  /** Report an encrypted archive entry as `Heuristics.Encrypted.Zip` (AlertEncrypted). */
  alertEncrypted: boolean;
  /** Report heuristic detections such as `Heuristics.Zip.OverlappingFiles` (HeuristicAlerts). */
  heuristicAlerts: boolean;
  /** Files whose path matches one of these are not scanned. */
  excludePaths: RegExp[];
  /** Folders whose path matches one of these are not entered. */
  excludeDirs: RegExp[];
  /** When not empty, only files whose path matches one of these are scanned. */
  includePaths: RegExp[];
  /** When not empty, only folders whose path matches one of these are entered. */
  includeDirs: RegExp[];
  followDirectorySymlinks: SymlinkLevel;
  followFileSymlinks: SymlinkLevel;
}

/** The defaults: the engine's limits and alerts, no exclusions, links followed on the command line only (clamscan's). */
export function defaultScanSettings(): ScanSettings {
  const { minScanSize: _fixed, ...limits } = DEFAULT_LIMITS;
  return {
    ...limits,
    allMatch: false,
    alertExceedsMax: DEFAULT_ALERTS.exceedsMax,
    alertEncrypted: DEFAULT_ALERTS.encrypted,
    heuristicAlerts: DEFAULT_ALERTS.heuristics,
    excludePaths: [],
    excludeDirs: [],
    includePaths: [],
    includeDirs: [],
    followDirectorySymlinks: 1,
    followFileSymlinks: 1,
  };
}

/** The engine's limits of these settings (minScanSize at the engine's default). */
export function limitsOf(s: ScanSettings): ScanLimits {
  return {
    maxFileSize: s.maxFileSize,
    maxScanSize: s.maxScanSize,
    minScanSize: DEFAULT_LIMITS.minScanSize,
    maxRecursion: s.maxRecursion,
    maxFiles: s.maxFiles,
    maxScanTime: s.maxScanTime,
    maxCompressionRatio: s.maxCompressionRatio,
  };
}

export function alertsOf(s: ScanSettings): ScanAlerts {
  return { exceedsMax: s.alertExceedsMax, encrypted: s.alertEncrypted, heuristics: s.heuristicAlerts };
}

/** The options `createScanner` and `ScanPool` take for these settings, on an already loaded image. */
export function scannerOptionsOf(s: ScanSettings, image: Uint8Array): ScannerOptions & { image: Uint8Array; allMatch: boolean; limits: ScanLimits; alerts: ScanAlerts } {
  return { image, allMatch: s.allMatch, limits: limitsOf(s), alerts: alertsOf(s) };
}

/** The watcher's path filter for these settings. */
export function pathFilterOf(s: ScanSettings): PathFilter {
  return { exclude: s.excludePaths, excludeDir: s.excludeDirs, include: s.includePaths, includeDir: s.includeDirs };
}
