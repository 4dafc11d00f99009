/**
 * Reads clamd.conf: one `Name value` a line, `#` starts a comment, names are case-sensitive as in
 * clamd (clamd.conf(5)). Booleans are yes/no, true/false or 1/0; sizes are bytes with an optional
 * K or M suffix (Vigil also takes G); repeatable options (TCPAddr, ExcludePath) collect every value.
 *
 * Every malformed line is collected with file:line and reason, and they are reported together.
 * A name clamd knows but Vigil does not implement is a warning that names it, never silently
 * dropped; a name clamd does not know is an error, as clamd itself refuses to start on one.
 */
import { readFileSync } from 'node:fs';
import { clamdScanDirectives, type SettingValue } from '../scan/index.js';
import { DaemonError, type ConfigProblem } from './daemon-error.js';

export type OptionKind = 'bool' | 'number' | 'size' | 'string' | 'strings' | 'mode';
export type OptionValue = boolean | number | string | string[];

/** How a scan setting's value is written in clamd.conf. */
const CLAMD_KIND: Record<SettingValue, OptionKind> = { size: 'size', count: 'number', bool: 'bool', regexes: 'strings', 'symlink-level': 'bool' };

/** The daemon's own options (sockets, threads, timeouts, the log); scan settings come from the table. */
const DAEMON_OPTIONS: Record<string, OptionKind> = {
  TCPSocket: 'number',
  TCPAddr: 'strings',
  LocalSocket: 'string',
  LocalSocketMode: 'mode',
  FixStaleSocket: 'bool',
  StreamMaxLength: 'size',
  MaxThreads: 'number',
  MaxQueue: 'number',
  MaxConnectionQueueLength: 'number',
  IdleTimeout: 'number',
  CommandReadTimeout: 'number',
  ReadTimeout: 'number',
  SendBufTimeout: 'number',
  DatabaseDirectory: 'string',
  MaxDirectoryRecursion: 'number',
  Foreground: 'bool',
  LogFile: 'string',
  LogTime: 'bool',
  LogClean: 'bool',
  LogVerbose: 'bool',
  PidFile: 'string',
  ConcurrentDatabaseReload: 'bool',
  EnableShutdownCommand: 'bool',
  EnableReloadCommand: 'bool',
  EnableVersionCommand: 'bool',
  EnableStatsCommand: 'bool',
  // Vigil's own: at most this many client connections open at once (clamd has no such limit).
  MaxConnections: 'number',
};

/**
 * clamd options Vigil implements, and the kind of value each takes: the daemon's own, and every
 * directive of the scan setting table (src/agent/scan/scan-setting-table.ts), so that whatever
 * the engine implements is honoured by the daemon too.
 */
export const SUPPORTED_OPTIONS: Record<string, OptionKind> = {
  ...DAEMON_OPTIONS,
  ...Object.fromEntries([...clamdScanDirectives()].map(([name, value]) => [name, CLAMD_KIND[value]])),
};

/**
 * Options that clamd (1.4, and older releases whose names Debian's clamd.conf still carries)
 * knows and Vigil does not implement: accepted, and named in a warning at start.
 */
export const UNSUPPORTED_OPTIONS: readonly string[] = [
  'AlertBrokenExecutables', 'AlertBrokenMedia', 'AlertEncryptedArchive', 'AlertEncryptedDoc',
  'AlertOLE2Macros', 'AlertPartitionIntersection', 'AlertPhishingCloak', 'AlertPhishingSSLMismatch',
  'AlgorithmicDetection', 'AllowAllMatchScan', 'AllowSupplementaryGroups', 'ArchiveBlockEncrypted', 'Bytecode', 'BytecodeMode',
  'BytecodeSecurity', 'BytecodeTimeout', 'BytecodeUnsigned', 'CrossFilesystems', 'Debug', 'DetectPUA', 'DisableCache',
  'DisableCertCheck', 'ExcludePUA', 'ExitOnOOM', 'ExtendedDetectionInfo', 'FailIfCvdOlderThan', 'ForceToDisk',
  'GenerateMetadataJson', 'HeuristicScanPrecedence', 'IncludePUA', 'LeaveTemporaryFiles',
  'LocalSocketGroup', 'LogFacility', 'LogFileMaxSize', 'LogFileUnlock', 'LogRotate', 'LogSyslog', 'MaxEmbeddedPE',
  'MaxHTMLNoTags', 'MaxHTMLNormalize', 'MaxIconsPE', 'MaxPartitions', 'MaxRecHWP3', 'MaxScriptNormalize',
  'MaxZipTypeRcg', 'OfficialDatabaseOnly', 'OLE2BlockMacros', 'OnAccessCurlTimeout', 'OnAccessDenyOnError',
  'OnAccessDisableDDD', 'OnAccessExcludePath', 'OnAccessExcludeRootUID', 'OnAccessExcludeUID', 'OnAccessExcludeUname',
  'OnAccessExtraScanning', 'OnAccessIncludePath', 'OnAccessMaxFileSize', 'OnAccessMaxThreads', 'OnAccessMountPath',
  'OnAccessPrevention', 'OnAccessRetryAttempts', 'PartitionIntersection', 'PCREMatchLimit', 'PCREMaxFileSize',
  'PCRERecMatchLimit', 'PhishingAlwaysBlockCloak', 'PhishingAlwaysBlockSSLMismatch', 'PhishingScanURLs',
  'PhishingSignatures', 'PreludeAnalyzerName', 'PreludeEnable', 'ScanArchive', 'ScanELF', 'ScanHTML', 'ScanHWP3',
  'ScanImage', 'ScanImageFuzzyHash', 'ScanMail', 'ScanOLE2', 'ScanOneNote', 'ScanPDF', 'ScanPE', 'ScanPartialMessages',
  'ScanSWF', 'ScanXMLDOCS', 'SelfCheck', 'StatsEnabled', 'StatsHostID', 'StatsPEDisabled', 'StatsTimeout',
  'StreamMaxPort', 'StreamMinPort', 'StructuredCCOnly', 'StructuredDataDetection', 'StructuredMinCreditCardCount',
  'StructuredMinSSNCount', 'StructuredSSNFormatNormal', 'StructuredSSNFormatStripped', 'TemporaryDirectory', 'User',
  'VirusEvent',
];

const UNSUPPORTED = new Set(UNSUPPORTED_OPTIONS);

export interface ClamdConfig {
  file: string;
  values: Map<string, OptionValue>;
  /** Where each option was set (the last line for single-valued ones). */
  lines: Map<string, number>;
  /** Options read but not implemented, and other things the user should know. */
  warnings: ConfigProblem[];
}

const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

type Parsed = { value: OptionValue } | { error: string };

function parseValue(kind: OptionKind, text: string): Parsed {
  switch (kind) {
    case 'bool': {
      const v = text.toLowerCase();
      if (v === 'yes' || v === 'true' || v === '1') return { value: true };
      if (v === 'no' || v === 'false' || v === '0') return { value: false };
      return { error: `expected yes or no, got '${text}'` };
    }
    case 'number':
      return /^\d{1,15}$/.test(text) ? { value: Number(text) } : { error: `expected a whole number, got '${text}'` };
    case 'size': {
      const m = /^(\d{1,15})([kKmMgG]?)$/.exec(text);
      return m ? { value: Number(m[1]) * SIZE_UNITS[m[2]!.toLowerCase()]! } : { error: `expected a size (a number, optionally followed by K, M or G), got '${text}'` };
    }
    case 'mode':
      return /^[0-7]{3,4}$/.test(text) ? { value: text } : { error: `expected an octal file mode such as 660, got '${text}'` };
    case 'string':
    case 'strings':
      return { value: text };
  }
}

/** Parses clamd.conf text; throws CONFIG_INVALID listing every malformed line. */
export function parseClamdConfig(text: string, file: string): ClamdConfig {
  const values = new Map<string, OptionValue>();
  const lines = new Map<string, number>();
  const errors: ConfigProblem[] = [];
  const warnings: ConfigProblem[] = [];
  const unsupported = new Map<string, number>();
  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    const content = raw.replace(/\r$/, '').trim();
    if (content === '' || content.startsWith('#')) return;
    const m = /^(\S+)(?:\s+(.*))?$/.exec(content)!;
    const name = m[1]!;
    let value = (m[2] ?? '').trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (name === 'Example') {
      errors.push({ file, line, message: "'Example' marks an unedited sample configuration: remove the line" });
      return;
    }
    const kind = SUPPORTED_OPTIONS[name];
    if (kind === undefined) {
      if (UNSUPPORTED.has(name)) {
        if (value === '') errors.push({ file, line, message: `${name}: missing value` });
        else unsupported.set(name, line);
      } else errors.push({ file, line, message: `unknown option '${name}'` });
      return;
    }
    if (value === '') {
      errors.push({ file, line, message: `${name}: missing value` });
      return;
    }
    const parsed = parseValue(kind, value);
    if ('error' in parsed) {
      errors.push({ file, line, message: `${name}: ${parsed.error}` });
      return;
    }
    if (kind === 'strings') values.set(name, [...((values.get(name) as string[] | undefined) ?? []), value]);
    else values.set(name, parsed.value);
    lines.set(name, line);
  });
  if (errors.length > 0) throw new DaemonError('CONFIG_INVALID', `${errors.length} error(s) in ${file}`, { problems: errors });
  for (const [name, line] of unsupported) warnings.push({ file, line, message: `${name} is not supported by Vigil and has no effect` });
  return { file, values, lines, warnings };
}

export function readClamdConfig(file: string): ClamdConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new DaemonError('CONFIG_UNREADABLE', `${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  }
  return parseClamdConfig(text, file);
}
