/**
 * The one list of scan settings and what each front end calls them: the `vigil scan`/`watch`/
 * `daemon` flag (clamscan(1) names), the clamd.conf directive (clamd.conf(5) names) and the
 * library option (`createScanner`'s). A front that lacks a setting says why, in `unsupported`.
 * The builders, the clamd.conf reader (which directives are supported) and the help of the
 * commands are all made from this table, so a setting is honoured everywhere it is listed.
 */
import type { ScanSettings } from './scan-settings.js';

/** A front end that does not offer a setting, and why. */
export interface Unsupported {
  unsupported: string;
}

/** How a setting's value is written: sizes take K, M, G; counts are whole numbers within `range`. */
export type SettingValue = 'size' | 'count' | 'bool' | 'regexes' | 'symlink-level';

export type CommandName = 'scan' | 'watch' | 'daemon';

export interface CliFront {
  /** Commander's flag declaration. */
  flag: string;
  /** The property Commander stores it under. */
  attribute: string;
  help: string;
  /** The commands that declare it. */
  commands: readonly CommandName[];
}

export interface SettingEntry {
  setting: keyof ScanSettings;
  /** input: how one file or stream is scanned; walk: which files of a folder are scanned. */
  scope: 'input' | 'walk';
  value: SettingValue;
  /** Smallest and largest value of a count other than 0 (what 0 means is `zero`'s). */
  range?: readonly [number, number];
  /**
   * What a count of 0 means, as in ClamAV: `no-limit` disables the limit (clamscan(1) and
   * clamd.conf(5) for MaxScanTime; libclamav for MaxFiles); `default` keeps the default with a
   * warning, as libclamav does for MaxRecursion ("the value of 0 is not allowed, using default").
   * Without it, 0 is refused like any value outside `range`.
   */
  zero?: 'no-limit' | 'default';
  cli: CliFront | Unsupported;
  clamd: { directive: string } | Unsupported;
  /** The path of the option in `createScanner`'s options, such as `limits.maxFileSize`. */
  library: string | Unsupported;
}

const ALL: readonly CommandName[] = ['scan', 'watch', 'daemon'];
const WALKERS: readonly CommandName[] = ['scan', 'watch'];
const NO_WALK_IN_LIBRARY: Unsupported = { unsupported: 'the library scans one input at a time and walks no folders' };

export const SCAN_SETTING_TABLE: readonly SettingEntry[] = [
  {
    setting: 'allMatch', scope: 'input', value: 'bool',
    cli: { flag: '-z, --allmatch', attribute: 'allmatch', help: 'report every matching signature, not just the first', commands: WALKERS },
    clamd: { unsupported: 'a clamd client chooses it for each command: ALLMATCHSCAN' },
    library: 'allMatch',
  },
  {
    setting: 'excludePaths', scope: 'walk', value: 'regexes',
    cli: { flag: '--exclude <regex>', attribute: 'exclude', help: 'skip files whose path matches (repeatable)', commands: WALKERS },
    clamd: { directive: 'ExcludePath' },
    library: NO_WALK_IN_LIBRARY,
  },
  {
    setting: 'excludeDirs', scope: 'walk', value: 'regexes',
    cli: { flag: '--exclude-dir <regex>', attribute: 'excludeDir', help: 'skip folders whose path matches (repeatable)', commands: WALKERS },
    clamd: { directive: 'ExcludePath' },
    library: NO_WALK_IN_LIBRARY,
  },
  {
    setting: 'includePaths', scope: 'walk', value: 'regexes',
    cli: { flag: '--include <regex>', attribute: 'include', help: 'scan only files whose path matches (repeatable)', commands: WALKERS },
    clamd: { unsupported: 'clamd has no include list (OnAccessIncludePath is for on-access scanning)' },
    library: NO_WALK_IN_LIBRARY,
  },
  {
    setting: 'includeDirs', scope: 'walk', value: 'regexes',
    cli: { flag: '--include-dir <regex>', attribute: 'includeDir', help: 'enter only folders whose path matches (repeatable)', commands: WALKERS },
    clamd: { unsupported: 'clamd has no include list (OnAccessIncludePath is for on-access scanning)' },
    library: NO_WALK_IN_LIBRARY,
  },
  {
    setting: 'maxFileSize', scope: 'input', value: 'size',
    cli: { flag: '--max-filesize <size>', attribute: 'maxFilesize', help: 'skip files larger than this, and unpack at most this much of each object in an archive (K, M, G suffixes; default 100M)', commands: ALL },
    clamd: { directive: 'MaxFileSize' },
    library: 'limits.maxFileSize',
  },
  {
    setting: 'maxScanSize', scope: 'input', value: 'size',
    cli: { flag: '--max-scansize <size>', attribute: 'maxScansize', help: 'match at most this many bytes of each file, what is unpacked from it included (default 400M)', commands: ALL },
    clamd: { directive: 'MaxScanSize' },
    library: 'limits.maxScanSize',
  },
  {
    setting: 'maxRecursion', scope: 'input', value: 'count', range: [1, 1000], zero: 'default',
    cli: { flag: '--max-recursion <n>', attribute: 'maxRecursion', help: 'archive nesting levels to unpack: the file is level 0, a .tar.gz needs 3 (default 17)', commands: ALL },
    clamd: { directive: 'MaxRecursion' },
    library: 'limits.maxRecursion',
  },
  {
    setting: 'maxFiles', scope: 'input', value: 'count', range: [1, 10_000_000], zero: 'no-limit',
    cli: { flag: '--max-files <n>', attribute: 'maxFiles', help: 'objects to unpack from one file, at all levels (default 10000)', commands: ALL },
    clamd: { directive: 'MaxFiles' },
    library: 'limits.maxFiles',
  },
  {
    setting: 'maxScanTime', scope: 'input', value: 'count', range: [1, 86_400_000], zero: 'no-limit',
    cli: { flag: '--max-scantime <ms>', attribute: 'maxScantime', help: 'time for one file, unpacking included, in milliseconds (default 120000)', commands: ALL },
    clamd: { directive: 'MaxScanTime' },
    library: 'limits.maxScanTime',
  },
  {
    setting: 'maxCompressionRatio', scope: 'input', value: 'count', range: [1, 1_000_000],
    cli: { flag: '--max-compression-ratio <n>', attribute: 'maxCompressionRatio', help: "unpack an object to at most n times its compressed size past its first MiB (Vigil's own; default 1000)", commands: ALL },
    // Vigil's own directive, as MaxConnections: clamd has no compression-ratio limit.
    clamd: { directive: 'MaxCompressionRatio' },
    library: 'limits.maxCompressionRatio',
  },
  {
    setting: 'followDirectorySymlinks', scope: 'walk', value: 'symlink-level',
    cli: { flag: '--follow-dir-symlinks <n>', attribute: 'followDirSymlinks', help: '0 never, 1 on the command line, 2 always (default 1)', commands: ['scan'] },
    clamd: { directive: 'FollowDirectorySymlinks' },
    library: NO_WALK_IN_LIBRARY,
  },
  {
    setting: 'followFileSymlinks', scope: 'walk', value: 'symlink-level',
    cli: { flag: '--follow-file-symlinks <n>', attribute: 'followFileSymlinks', help: '0 never, 1 on the command line, 2 always (default 1)', commands: ['scan'] },
    clamd: { directive: 'FollowFileSymlinks' },
    library: NO_WALK_IN_LIBRARY,
  },
  {
    setting: 'alertExceedsMax', scope: 'input', value: 'bool',
    cli: { flag: '--alert-exceeds-max', attribute: 'alertExceedsMax', help: 'report a file that a limit (--max-*) stopped from being scanned completely as Heuristics.Limits.Exceeded.<Limit> FOUND', commands: ALL },
    clamd: { directive: 'AlertExceedsMax' },
    library: 'alerts.exceedsMax',
  },
  {
    setting: 'alertEncrypted', scope: 'input', value: 'bool',
    cli: { flag: '--alert-encrypted', attribute: 'alertEncrypted', help: 'report an encrypted archive entry as Heuristics.Encrypted.Zip FOUND', commands: ALL },
    clamd: { directive: 'AlertEncrypted' },
    library: 'alerts.encrypted',
  },
  {
    setting: 'heuristicAlerts', scope: 'input', value: 'bool',
    cli: { flag: '--no-heuristic-alerts', attribute: 'heuristicAlerts', help: 'do not report heuristic detections such as Heuristics.Zip.OverlappingFiles', commands: ALL },
    clamd: { directive: 'HeuristicAlerts' },
    library: 'alerts.heuristics',
  },
];

export function isUnsupported(front: object | string): front is Unsupported {
  return typeof front === 'object' && 'unsupported' in front;
}

/** The clamd.conf directives the table maps to a scan setting, with the kind of value each takes. */
export function clamdScanDirectives(): Map<string, SettingValue> {
  const out = new Map<string, SettingValue>();
  for (const e of SCAN_SETTING_TABLE) if (!isUnsupported(e.clamd)) out.set(e.clamd.directive, e.value);
  return out;
}

/** The table's entries a command declares flags for. */
export function cliEntries(command: CommandName): (SettingEntry & { cli: CliFront })[] {
  return SCAN_SETTING_TABLE.filter((e): e is SettingEntry & { cli: CliFront } => !isUnsupported(e.cli) && e.cli.commands.includes(command));
}
