/**
 * The options `vigil scan` and `vigil watch` share: how they are declared to Commander, and how they
 * are read into a path filter, the engine's size limits, the database cache and the report. Options
 * whose help says something different for each command (-d, --agent-dir) are declared by the command;
 * the three lines in the middle of the shared run that differ are passed in as `ScanOptionsHelp`.
 */
import type { Command } from 'commander';
import { agentDirPath, Quarantine, type PathFilter } from '../agent/index.js';
import type { ScanLimits } from '../engine/index.js';
import { UsageError } from './exit-codes.js';
import { reportQuarantineError, reportRecovery } from './quarantine-command.js';
import type { ReportOptions } from './scan-report.js';
import { parseSize } from './sizes.js';

/** The flags both commands declare, as Commander hands them over. */
export interface ScanOptionFlags {
  database: string[];
  allmatch?: boolean;
  infected?: boolean;
  suppressOkResults?: boolean;
  summary: boolean;
  exclude: string[];
  excludeDir: string[];
  include: string[];
  includeDir: string[];
  maxFilesize?: string;
  maxScansize?: string;
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

/** What the shared flags say once checked. */
export interface ScanSettings {
  filter: PathFilter;
  limits: Partial<Pick<ScanLimits, 'maxFileSize' | 'maxScanSize'>>;
}

/** Commander's parser for a repeatable option. */
export const collect = (v: string, prev: string[]) => [...prev, v];

/** Adds -z to --max-scansize: matching, what is printed, which files are scanned and the size limits. */
export function addMatchOptions(command: Command, help: ScanOptionsHelp): Command {
  return command
    .option('-z, --allmatch', 'report every matching signature, not just the first')
    .option('-i, --infected', help.infected)
    .option('-o, --suppress-ok-results', 'do not print clean files')
    .option('--no-summary', help.summary)
    .option('--exclude <regex>', 'skip files whose path matches (repeatable)', collect, [])
    .option('--exclude-dir <regex>', help.excludeDir, collect, [])
    .option('--include <regex>', 'scan only files whose path matches (repeatable)', collect, [])
    .option('--include-dir <regex>', 'enter only folders whose path matches (repeatable)', collect, [])
    .option('--max-filesize <size>', 'skip files larger than this (K, M, G suffixes; default 100M)')
    .option('--max-scansize <size>', 'match at most this many bytes of each file (default 400M)');
}

/** Adds --no-cache and --cache-dir, for the compiled image of signature sources. */
export function addCacheOptions(command: Command): Command {
  return command
    .option('--no-cache', 'compile sources on every start instead of caching the image')
    .option('--cache-dir <dir>', 'where compiled images of sources are cached');
}

/** Reads the filters and size limits; throws a UsageError naming the option that is wrong. */
export function parseScanSettings(flags: ScanOptionFlags): ScanSettings {
  const filter: PathFilter = {
    exclude: parseRegexes(flags.exclude, '--exclude'),
    excludeDir: parseRegexes(flags.excludeDir, '--exclude-dir'),
    include: parseRegexes(flags.include, '--include'),
    includeDir: parseRegexes(flags.includeDir, '--include-dir'),
  };
  const limits: ScanSettings['limits'] = {};
  if (flags.maxFilesize !== undefined) limits.maxFileSize = parseSize(flags.maxFilesize, '--max-filesize');
  if (flags.maxScansize !== undefined) limits.maxScanSize = parseSize(flags.maxScansize, '--max-scansize');
  return { filter, limits };
}

function parseRegexes(list: string[], option: string): RegExp[] {
  return list.map((r) => {
    try {
      return new RegExp(r);
    } catch (e) {
      throw new UsageError(`${option}: '${r}' is not a valid regular expression: ${(e as Error).message}`);
    }
  });
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
