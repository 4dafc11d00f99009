/**
 * ScanSettings from command-line flags, as Commander hands them over: every flag of the table that
 * the command declares (scan-setting-table.ts), checked, on top of `base` (the defaults, or what a
 * clamd.conf said). A flag not given leaves the base as it is.
 */
import { cliEntries, type CommandName } from './scan-setting-table.js';
import { defaultScanSettings, type ScanSettings } from './scan-settings.js';
import { longFlagName, readCountSetting, readSize, zeroNotAllowed } from './setting-values.js';

/** Makes the error a wrong flag is reported with (the CLI passes its UsageError). */
export type InvalidFlag = (message: string) => Error;

/** Where a warning about a flag goes (a 0 that keeps the default): standard error unless told. */
export type FlagWarning = (message: string) => void;

const warnOnStderr: FlagWarning = (message) => process.stderr.write(`WARNING: ${message}\n`);

export function scanSettingsFromFlags(flags: Readonly<Record<string, unknown>>, command: CommandName, invalid: InvalidFlag, base: ScanSettings = defaultScanSettings(), warn: FlagWarning = warnOnStderr): ScanSettings {
  const s: ScanSettings = { ...base };
  const put = s as unknown as Record<string, unknown>;
  for (const e of cliEntries(command)) {
    // What the command line parser gives: a string, a number, a boolean switch or a repeated string.
    const given = flags[e.cli.attribute] as string | number | boolean | string[] | undefined;
    if (given === undefined) continue;
    const option = longFlagName(e.cli.flag);
    switch (e.value) {
      case 'bool':
        // A --no-x flag is true unless given; a plain one undefined or false unless given.
        if (e.cli.flag.startsWith('--no-') ? given === false : given === true) put[e.setting] = given;
        break;
      case 'size': {
        const n = readSize(String(given));
        if (n === undefined) throw invalid(`${option}: '${String(given)}' is not a size (a number, optionally followed by K, M or G)`);
        put[e.setting] = n;
        break;
      }
      case 'count': {
        const [min, max] = e.range!;
        const n = readCountSetting(String(given), e.range!, e.zero);
        if (n === undefined) throw invalid(`${option}: expected a whole number from ${e.zero ? 0 : min} to ${max}, got '${String(given)}'`);
        if (n === 'default') warn(zeroNotAllowed(option, base[e.setting] as number));
        else put[e.setting] = n;
        break;
      }
      case 'regexes': {
        const list = given as string[];
        if (list.length > 0) put[e.setting] = list.map((r) => compileRegex(r, option, invalid));
        break;
      }
      case 'symlink-level': {
        const v = String(given);
        if (v !== '0' && v !== '1' && v !== '2') throw invalid(`${option}: expected 0, 1 or 2, got '${v}'`);
        put[e.setting] = Number(v);
        break;
      }
    }
  }
  return s;
}

function compileRegex(r: string, option: string, invalid: InvalidFlag): RegExp {
  try {
    return new RegExp(r);
  } catch (e) {
    throw invalid(`${option}: '${r}' is not a valid regular expression: ${(e as Error).message}`);
  }
}
