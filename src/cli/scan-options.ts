/**
 * The options `vigil scan`, `vigil watch` and `vigil daemon` share: the scan settings, declared to
 * Commander from the one table of them (src/agent/scan/scan-setting-table.ts) and read back into
 * ScanSettings by the agent's builder; and what scan and watch share besides: how results are
 * printed, the database cache and the quarantine. Options whose help says something different for
 * each command (-d, --agent-dir) are declared by the command; the lines of the shared run that
 * differ are passed in as `ScanOptionsHelp`.
 */
import type { Command } from 'commander';
import { agentDirPath, cliEntries, isUnsupported, Quarantine, scanSettingsFromFlags, type CommandName, type ScanSettings } from '../agent/index.js';
import { UsageError } from './exit-codes.js';
import { reportQuarantineError, reportRecovery } from './quarantine-command.js';
import type { ReportOptions } from './scan-report.js';

/** The flags scan and watch declare besides the scan settings, as Commander hands them over. */
export interface ScanOptionFlags {
  database: string[];
  infected?: boolean;
  suppressOkResults?: boolean;
  summary: boolean;
  json?: boolean;
  cache: boolean;
  cacheDir?: string;
  agentDir?: string;
}

/** The help of the shared options that differs between the commands. */
export interface ScanOptionsHelp {
  infected: string;
  summary: string;
  excludeDir: string;
}

/** Commander's parser for a repeatable option. */
export const collect = (v: string, prev: string[]) => [...prev, v];

/** Adds -i, -o, --no-summary, then every scan setting scan and watch take (-z, --exclude..., --max-*, --alert-*). */
export function addMatchOptions(command: Command, name: 'scan' | 'watch', help: ScanOptionsHelp): Command {
  command
    .option('-i, --infected', help.infected)
    .option('-o, --suppress-ok-results', 'do not print clean files')
    .option('--no-summary', help.summary);
  return addScanSettingOptions(command, name, { excludeDirs: help.excludeDir });
}

/**
 * Declares the table's flags for one command, in the table's order; the daemon's help also names
 * the clamd.conf directive each flag overrides.
 */
export function addScanSettingOptions(command: Command, name: CommandName, help: Partial<Record<keyof ScanSettings, string>> = {}): Command {
  for (const e of cliEntries(name)) {
    let text = help[e.setting] ?? e.cli.help;
    if (name === 'daemon' && !isUnsupported(e.clamd)) text = `${text} (${e.clamd.directive})`;
    if (e.value === 'regexes') command.option(e.cli.flag, text, collect, []);
    else command.option(e.cli.flag, text);
  }
  return command;
}

/** Adds --no-cache and --cache-dir, for the compiled image of signature sources. */
export function addCacheOptions(command: Command): Command {
  return command
    .option('--no-cache', 'compile sources on every start instead of caching the image')
    .option('--cache-dir <dir>', 'where compiled images of sources are cached');
}

/** Reads the scan settings of a command's flags on top of `base`; throws a UsageError naming the option that is wrong. */
export function parseScanSettings(flags: object, name: CommandName, base?: ScanSettings): ScanSettings {
  return scanSettingsFromFlags(flags as Record<string, unknown>, name, (message) => new UsageError(message), base);
}

/** The database cache `openDatabase` should use: --no-cache turns it off, --cache-dir moves it. */
export function cacheSetting(flags: ScanOptionFlags): { cacheDir?: string | false } {
  if (!flags.cache) return { cacheDir: false };
  return flags.cacheDir === undefined ? {} : { cacheDir: flags.cacheDir };
}

/** How the report prints results (-i, -o, --json), writing each line with `write`. */
export function reportSettings(flags: ScanOptionFlags, write: (line: string) => void): ReportOptions {
  return { json: flags.json ?? false, infectedOnly: flags.infected ?? false, suppressOk: flags.suppressOkResults ?? false, write };
}

/**
 * Opens the quarantine before anything is scanned (settling moves a crash interrupted) and says on
 * stderr what that recovery did. When it cannot be opened, reports why and returns the exit code.
 */
export function openQuarantineForScan(agentDir: string | undefined): Quarantine | number {
  let quarantine: Quarantine;
  try {
    quarantine = Quarantine.open(agentDirPath(agentDir));
  } catch (e) {
    return reportQuarantineError(e);
  }
  reportRecovery(quarantine.recovery);
  return quarantine;
}

/** The line that says a file was moved into the quarantine, as text or as a JSON object. */
export function formatQuarantined(path: string, entryId: string, json: boolean): string {
  return json ? JSON.stringify({ path, action: 'quarantined', quarantineId: entryId }) : `${path}: quarantined as ${entryId}`;
}
