/**
 * The daemon's settings: the scan settings every front end shares (src/agent/scan/scan-settings.ts)
 * plus the daemon's own named limits with units, clamd's defaults (clamd.conf(5), ClamAV 1.4), and
 * the conversion from a parsed clamd.conf. Command-line flags are applied on top by the CLI.
 */
import { defaultScanSettings, type ScanSettings } from '../scan/index.js';
import { scanSettingsFromClamdConfig } from './settings-from-clamd.js';
import type { ClamdConfig, OptionValue } from './clamd-config.js';
import { DaemonError, type ConfigProblem } from './daemon-error.js';

const MiB = 1024 * 1024;

/**
 * The scan settings (limits, alerts, ExcludePath, links) and the daemon's own. Limits of one input
 * keep clamd's meaning: MaxFileSize-exceeding files and streams are reported OK unscanned.
 */
export interface DaemonSettings extends ScanSettings {
  /** TCP port (clamd's TCPSocket); null: no TCP listener. */
  tcpPort: number | null;
  /** Addresses to bind the TCP port on (TCPAddr, repeatable). Default 127.0.0.1, unlike clamd's all interfaces. */
  tcpAddresses: string[];
  /** Unix socket path (LocalSocket); null: none. */
  localSocket: string | null;
  /** Octal mode of the Unix socket file (LocalSocketMode); null leaves the umask's. */
  localSocketMode: string | null;
  /** Remove a socket file left by a daemon that died (FixStaleSocket). */
  fixStaleSocket: boolean;
  /** Databases to load: files or folders; empty: the built-in database. */
  databases: string[];
  /** Bytes an INSTREAM may carry (StreamMaxLength). Default 100 MiB. */
  streamMaxLength: number;
  /** Scans that run at once (MaxThreads). Default 10. */
  maxThreads: number;
  /** Scan jobs queued or running before connections stop being read (MaxQueue). Default 100. */
  maxQueue: number;
  /** Listen backlog (MaxConnectionQueueLength). Default 200. */
  maxConnectionQueueLength: number;
  /** Client connections open at once; more are closed on accept (Vigil's MaxConnections). Default 1024. */
  maxConnections: number;
  /** Worker threads idle this long are stopped, and started again on demand (IdleTimeout). Milliseconds; default 30 s. */
  idleTimeoutMs: number;
  /** Time for a client to send a complete command (CommandReadTimeout). Milliseconds; default 30 s. */
  commandReadTimeoutMs: number;
  /** Time a client may pause inside INSTREAM data or between IDSESSION commands (ReadTimeout). Milliseconds; default 120 s. */
  readTimeoutMs: number;
  /** Time a client may leave replies unread before it is dropped (SendBufTimeout). Milliseconds; default 500 ms. */
  sendBufTimeoutMs: number;
  /** Folder depth of SCAN/CONTSCAN/MULTISCAN (MaxDirectoryRecursion). Default 15. */
  maxDirectoryRecursion: number;
  /** Log file (LogFile); null: standard error. */
  logFile: string | null;
  logTime: boolean;
  logClean: boolean;
  logVerbose: boolean;
  pidFile: string | null;
  enableShutdown: boolean;
  enableReload: boolean;
  enableVersion: boolean;
  enableStats: boolean;
  /** Compiled images of sources are cached here; false: never. Undefined: the engine's default. */
  cacheDir?: string | false;
}

export const DEFAULT_TCP_PORT = 3310;
export const DEFAULT_TCP_ADDRESS = '127.0.0.1';

export function defaultSettings(): DaemonSettings {
  return {
    ...defaultScanSettings(),
    // clamd follows no symbolic link unless told to, not even a named one.
    followDirectorySymlinks: 0,
    followFileSymlinks: 0,
    tcpPort: DEFAULT_TCP_PORT,
    tcpAddresses: [DEFAULT_TCP_ADDRESS],
    localSocket: null,
    localSocketMode: null,
    fixStaleSocket: true,
    databases: [],
    streamMaxLength: 100 * MiB,
    maxThreads: 10,
    maxQueue: 100,
    maxConnectionQueueLength: 200,
    maxConnections: 1024,
    idleTimeoutMs: 30_000,
    commandReadTimeoutMs: 30_000,
    readTimeoutMs: 120_000,
    sendBufTimeoutMs: 500,
    maxDirectoryRecursion: 15,
    logFile: null,
    logTime: false,
    logClean: false,
    logVerbose: false,
    pidFile: null,
    enableShutdown: true,
    enableReload: true,
    enableVersion: true,
    enableStats: true,
  };
}

/**
 * Settings from a clamd.conf. As with clamd, a file that names neither TCPSocket nor LocalSocket
 * listens nowhere (the CLI reports it); TCPSocket without TCPAddr binds 127.0.0.1 (clamd: every
 * interface; Vigil will not expose an unauthenticated scanner by default, see docs/daemon.md).
 */
export function settingsFromClamdConfig(config: ClamdConfig, base: DaemonSettings = defaultSettings()): { settings: DaemonSettings; warnings: ConfigProblem[] } {
  const v = config.values;
  const s: DaemonSettings = { ...base, tcpPort: null, localSocket: null };
  const warnings: ConfigProblem[] = [...config.warnings];
  const at = (name: string) => ({ file: config.file, line: config.lines.get(name) ?? 0 });
  const num = (name: string): number | undefined => v.get(name) as number | undefined;
  const bool = (name: string): boolean | undefined => v.get(name) as boolean | undefined;
  const str = (name: string): string | undefined => v.get(name) as string | undefined;
  const set = <K extends keyof DaemonSettings>(key: K, value: DaemonSettings[K] | undefined) => {
    if (value !== undefined) s[key] = value;
  };
  const port = num('TCPSocket');
  if (port !== undefined) {
    if (port < 1 || port > 65535) throw rangeError(config, 'TCPSocket', 'a port from 1 to 65535', port);
    s.tcpPort = port;
  }
  set('tcpAddresses', v.get('TCPAddr') as string[] | undefined);
  set('localSocket', str('LocalSocket'));
  set('localSocketMode', str('LocalSocketMode'));
  set('fixStaleSocket', bool('FixStaleSocket'));
  const dbDir = str('DatabaseDirectory');
  if (dbDir !== undefined) s.databases = [dbDir];
  set('streamMaxLength', num('StreamMaxLength'));
  for (const [name, key] of [['MaxThreads', 'maxThreads'], ['MaxQueue', 'maxQueue'], ['MaxConnectionQueueLength', 'maxConnectionQueueLength'], ['MaxConnections', 'maxConnections']] as const) {
    const n = num(name);
    if (n !== undefined && n < 1) throw rangeError(config, name, 'at least 1', n);
    set(key, n);
  }
  const seconds = (name: string, key: 'idleTimeoutMs' | 'commandReadTimeoutMs' | 'readTimeoutMs') => {
    const n = num(name);
    if (n !== undefined) s[key] = n * 1000;
  };
  seconds('IdleTimeout', 'idleTimeoutMs');
  seconds('CommandReadTimeout', 'commandReadTimeoutMs');
  seconds('ReadTimeout', 'readTimeoutMs');
  set('sendBufTimeoutMs', num('SendBufTimeout'));
  set('maxDirectoryRecursion', num('MaxDirectoryRecursion'));
  // Limits, alerts, ExcludePath and links: the directives of the scan setting table.
  Object.assign(s, scanSettingsFromClamdConfig(config, s, (problem) => warnings.push(problem)));
  set('logFile', str('LogFile'));
  set('logTime', bool('LogTime'));
  set('logClean', bool('LogClean'));
  set('logVerbose', bool('LogVerbose'));
  set('pidFile', str('PidFile'));
  set('enableShutdown', bool('EnableShutdownCommand'));
  set('enableReload', bool('EnableReloadCommand'));
  set('enableVersion', bool('EnableVersionCommand'));
  set('enableStats', bool('EnableStatsCommand'));
  if (bool('Foreground') === false) {
    warnings.push({ ...at('Foreground'), message: 'Foreground no: Vigil always runs in the foreground; run it under systemd or another supervisor to detach it' });
  }
  if (bool('ConcurrentDatabaseReload') === false) {
    warnings.push({ ...at('ConcurrentDatabaseReload'), message: 'ConcurrentDatabaseReload no: Vigil always keeps scanning on the old database while it loads the new one' });
  }
  return { settings: s, warnings };
}

function rangeError(config: ClamdConfig, name: string, expected: string, got: OptionValue): DaemonError {
  return new DaemonError('CONFIG_INVALID', `error(s) in ${config.file}`, {
    problems: [{ file: config.file, line: config.lines.get(name) ?? 0, message: `${name}: expected ${expected}, got ${String(got)}` }],
  });
}
