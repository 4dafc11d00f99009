/**
 * ScanSettings from the library's `createScanner` options (allMatch, limits, alerts), read through
 * the table's library names (scan-setting-table.ts), on top of `base`.
 */
import type { ScannerOptions } from '../../engine/index.js';
import { SCAN_SETTING_TABLE, isUnsupported } from './scan-setting-table.js';
import { defaultScanSettings, type ScanSettings } from './scan-settings.js';

export type LibraryScanOptions = Pick<ScannerOptions, 'allMatch' | 'limits' | 'alerts'>;

export function scanSettingsFromLibraryOptions(options: LibraryScanOptions, base: ScanSettings = defaultScanSettings()): ScanSettings {
  const s: ScanSettings = { ...base };
  const put = s as unknown as Record<string, unknown>;
  for (const e of SCAN_SETTING_TABLE) {
    if (isUnsupported(e.library)) continue;
    const v = readPath(options, e.library);
    if (v !== undefined) put[e.setting] = v;
  }
  return s;
}

/** The value at a dotted path such as `limits.maxFileSize`. */
function readPath(options: object, path: string): unknown {
  let at: unknown = options;
  for (const key of path.split('.')) {
    if (at === null || typeof at !== 'object') return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}
