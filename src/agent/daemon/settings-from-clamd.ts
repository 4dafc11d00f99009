/**
 * ScanSettings from a parsed clamd.conf (clamd.conf(5)): every directive the table maps to a
 * setting (scan-setting-table.ts), on top of `base`. Booleans of symbolic links become clamscan's
 * levels: `yes` follows links everywhere (2), `no` never (0), as clamd does for a named link too.
 * ExcludePath applies to files and folders alike, as in clamd.
 */
import type { ClamdConfig } from './clamd-config.js';
import { DaemonError } from './daemon-error.js';
import { SCAN_SETTING_TABLE, isUnsupported } from '../scan/index.js';
import type { ScanSettings } from '../scan/index.js';
import { readCountSetting, zeroNotAllowed } from '../scan/index.js';

/** A warning about a directive, with its line (a 0 that keeps the default). */
export interface DirectiveWarning {
  file: string;
  line: number;
  message: string;
}

export function scanSettingsFromClamdConfig(config: ClamdConfig, base: ScanSettings, warn: (w: DirectiveWarning) => void): ScanSettings {
  const s: ScanSettings = { ...base };
  const put = s as unknown as Record<string, unknown>;
  for (const e of SCAN_SETTING_TABLE) {
    if (isUnsupported(e.clamd)) continue;
    const name = e.clamd.directive;
    const v = config.values.get(name);
    if (v === undefined) continue;
    switch (e.value) {
      case 'size':
      case 'bool':
        put[e.setting] = v;
        break;
      case 'count': {
        const [min, max] = e.range!;
        const n = readCountSetting(String(v), e.range!, e.zero);
        if (n === undefined) throw configError(config, name, `${name}: expected a whole number from ${e.zero ? 0 : min} to ${max}, got ${String(v)}`);
        if (n === 'default') warn({ file: config.file, line: config.lines.get(name) ?? 0, message: zeroNotAllowed(name, base[e.setting] as number) });
        else put[e.setting] = n;
        break;
      }
      case 'regexes':
        put[e.setting] = (v as string[]).map((r) => {
          try {
            return new RegExp(r);
          } catch (err) {
            throw configError(config, name, `${name}: '${r}' is not a valid regular expression: ${(err as Error).message}`);
          }
        });
        break;
      case 'symlink-level':
        put[e.setting] = v ? 2 : 0;
        break;
    }
  }
  return s;
}

function configError(config: ClamdConfig, name: string, message: string): DaemonError {
  return new DaemonError('CONFIG_INVALID', `error(s) in ${config.file}`, { problems: [{ file: config.file, line: config.lines.get(name) ?? 0, message }] });
}
