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
  maxRecursion?: string;
  maxFiles?: string;
  maxScantime?: string;
  maxCompressionRatio?: string;
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
  limits: Partial<Omit<ScanLimits, 'minScanSize'>>;
}

/** Commander's parser for a repeatable option. */
export const collect = (v: string, prev: string[]) => [...prev, v];

/** Adds -z to --max-compression-ratio: matching, what is printed, which files are scanned and the limits. */
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
    .option('--max-filesize <size>', 'skip files larger than this, and unpack at most this much of each object in an archive (K, M, G suffixes; default 100M)')
    .option('--max-scansize <size>', 'match at most this many bytes of each file, what is unpacked from it included (default 400M)')
    .option('--max-recursion <n>', 'archive nesting levels to unpack: the file is level 0, a .tar.gz needs 3 (default 17)')
    .option('--max-files <n>', 'objects to unpack from one file, at all levels (default 10000)')
    .option('--max-scantime <ms>', 'time for one file, unpacking included, in milliseconds (default 120000)')
    .option('--max-compression-ratio <n>', "unpack an object to at most n times its compressed size past its first MiB (Vigil's own; default 1000)");
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
  if (flags.maxRecursion !== undefined) limits.maxRecursion = parseCount(flags.maxRecursion, '--max-recursion', 1, 1000);
  if (flags.maxFiles !== undefined) limits.maxFiles = parseCount(flags.maxFiles, '--max-files', 1, 10_000_000);
  if (flags.maxScantime !== undefined) limits.maxScanTime = parseCount(flags.maxScantime, '--max-scantime', 1, 86_400_000);
  if (flags.maxCompressionRatio !== undefined) limits.maxCompressionRatio = parseCount(flags.maxCompressionRatio, '--max-compression-ratio', 1, 1_000_000);
  return { filter, limits };
}

/** A whole number from `min` to `max`; ClamAV refuses 0 for these limits too. */
function parseCount(text: string, option: string, min: number, max: number): number {
  const n = Number(text.trim());
  if (!/^\d+$/.test(text.trim()) || n < min || n > max) throw new UsageError(`${option}: expected a whole number from ${min} to ${max}, got '${text}'`);
  return n;
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
