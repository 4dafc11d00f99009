/**
 * `vigil daemon`: a clamd-compatible scanning daemon. Reads an existing clamd.conf with
 * --config-file; flags override the file. See docs/daemon.md.
 */
import type { Command } from 'commander';
import {
  ClamdDaemon,
  DaemonError,
  DaemonLog,
  DEFAULT_TCP_ADDRESS,
  DEFAULT_TCP_PORT,
  defaultSettings,
  formatConfigProblem,
  readClamdConfig,
  settingsFromClamdConfig,
  type ConfigProblem,
  type DaemonSettings,
} from '../agent/index.js';
import { defaultWorkerCount } from '../engine/index.js';
import { EXIT_CLEAN, EXIT_ERROR, reportError, UsageError } from './exit-codes.js';
import { addScanSettingOptions, parseScanSettings } from './scan-options.js';
import { parseSize } from './sizes.js';
import { vigilVersion } from './version.js';

interface DaemonFlags {
  configFile?: string;
  database: string[];
  port?: string;
  listen: string[];
  localSocket?: string;
  streamMaxLength?: string;
  maxThreads?: string;
  maxQueue?: string;
  maxConnections?: string;
  maxConnectionQueueLength?: string;
  idleTimeout?: string;
  commandReadTimeout?: string;
  readTimeout?: string;
  logFile?: string;
  logTime?: boolean;
  verbose?: boolean;
  pidFile?: string;
  jobs?: string;
  cache: boolean;
  cacheDir?: string;
  foreground?: boolean;
}

const collect = (v: string, prev: string[]) => [...prev, v];

function integer(text: string, option: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) throw new UsageError(`${option}: expected a whole number from ${min} to ${max}, got '${text}'`);
  return n;
}

export function registerDaemonCommand(program: Command): void {
  const daemon = program
    .command('daemon')
    .description('run a clamd-compatible scanning daemon (TCP and/or Unix socket; clamd.conf accepted)')
    .option('-c, --config-file <file>', 'read this clamd.conf (clamd option names and syntax)')
    .option('-d, --database <path>', 'signature database file or folder (repeatable; overrides DatabaseDirectory; default: built-in)', collect, [])
    .option('-p, --port <port>', `TCP port (TCPSocket; default ${DEFAULT_TCP_PORT} when no socket is configured; 0 picks a free one)`)
    .option('--listen <address>', `TCP address to bind (TCPAddr, repeatable; default ${DEFAULT_TCP_ADDRESS})`, collect, [])
    .option('-l, --local-socket <path>', 'Unix socket path (LocalSocket)')
    .option('--stream-max-length <size>', 'largest INSTREAM, K/M/G suffixes (StreamMaxLength; default 100M)')
    .option('--max-threads <n>', 'scans running at once (MaxThreads; default 10)')
    .option('--max-queue <n>', 'scans queued or running (MaxQueue; default 100)')
    .option('--max-connections <n>', 'client connections open at once (default 1024)')
    .option('--max-connection-queue-length <n>', 'listen backlog (MaxConnectionQueueLength; default 200)')
    .option('--idle-timeout <seconds>', 'stop worker threads idle this long (IdleTimeout; default 30)')
    .option('--command-read-timeout <seconds>', 'time for a client to send its command (CommandReadTimeout; default 30)')
    .option('--read-timeout <seconds>', 'time a client may pause in a stream or session (ReadTimeout; default 120)');
  // The scan settings (limits, alerts) as scan and watch take them; files above --max-filesize are reported OK unscanned, as clamd does.
  addScanSettingOptions(daemon, 'daemon')
    .option('--log-file <file>', 'append the log here instead of standard error (LogFile)')
    .option('--log-time', 'prefix log lines with the time (LogTime)')
    .option('-v, --verbose', 'log every command and database warning (LogVerbose)')
    .option('--pid-file <file>', 'write the process id here (PidFile)')
    .option('-j, --jobs <n>', 'worker threads for file scans (default: the smaller of MaxThreads and the CPU count)')
    .option('--no-cache', 'compile sources on every load instead of caching the image')
    .option('--cache-dir <dir>', 'where compiled images of sources are cached')
    .option('-F, --foreground', 'accepted for clamd compatibility (Vigil always runs in the foreground)')
    .addHelpText('after', '\nSignals: SIGUSR2 reloads the database, SIGTERM and SIGINT shut down cleanly.\nSee docs/daemon.md for the protocol and how to move from clamd.')
    .action(async (flags: DaemonFlags) => {
      process.exitCode = await runDaemon(flags);
    });
}

/** Settings from the config file (if any), then the flags on top. */
function buildSettings(flags: DaemonFlags): { settings: DaemonSettings; warnings: ConfigProblem[] } {
  let settings = defaultSettings();
  let warnings: ConfigProblem[] = [];
  if (flags.configFile !== undefined) ({ settings, warnings } = settingsFromClamdConfig(readClamdConfig(flags.configFile), settings));
  const s = settings;
  if (flags.port !== undefined || flags.listen.length > 0 || flags.localSocket !== undefined) {
    // Sockets named on the command line replace those of the file.
    s.tcpPort = flags.port !== undefined ? integer(flags.port, '--port', 0, 65535) : flags.listen.length > 0 ? (s.tcpPort ?? DEFAULT_TCP_PORT) : null;
    s.localSocket = flags.localSocket ?? null;
    if (flags.listen.length > 0) s.tcpAddresses = flags.listen;
  } else if (flags.configFile === undefined) {
    s.tcpPort = DEFAULT_TCP_PORT;
  }
  if (flags.database.length > 0) s.databases = flags.database;
  if (flags.streamMaxLength !== undefined) s.streamMaxLength = parseSize(flags.streamMaxLength, '--stream-max-length');
  if (flags.maxThreads !== undefined) s.maxThreads = integer(flags.maxThreads, '--max-threads', 1, 1024);
  if (flags.maxQueue !== undefined) s.maxQueue = integer(flags.maxQueue, '--max-queue', 1, 1_000_000);
  if (flags.maxConnections !== undefined) s.maxConnections = integer(flags.maxConnections, '--max-connections', 1, 1_000_000);
  if (flags.maxConnectionQueueLength !== undefined) s.maxConnectionQueueLength = integer(flags.maxConnectionQueueLength, '--max-connection-queue-length', 1, 65535);
  if (flags.idleTimeout !== undefined) s.idleTimeoutMs = integer(flags.idleTimeout, '--idle-timeout', 1, 86_400) * 1000;
  if (flags.commandReadTimeout !== undefined) s.commandReadTimeoutMs = integer(flags.commandReadTimeout, '--command-read-timeout', 1, 86_400) * 1000;
  if (flags.readTimeout !== undefined) s.readTimeoutMs = integer(flags.readTimeout, '--read-timeout', 1, 86_400) * 1000;
  Object.assign(s, parseScanSettings(flags, 'daemon', s));
  if (flags.logFile !== undefined) s.logFile = flags.logFile;
  if (flags.logTime) s.logTime = true;
  if (flags.verbose) s.logVerbose = true;
  if (flags.pidFile !== undefined) s.pidFile = flags.pidFile;
  if (!flags.cache) s.cacheDir = false;
  else if (flags.cacheDir !== undefined) s.cacheDir = flags.cacheDir;
  return { settings: s, warnings };
}

async function runDaemon(flags: DaemonFlags): Promise<number> {
  let settings: DaemonSettings;
  let warnings: ConfigProblem[];
  let jobs: number;
  try {
    ({ settings, warnings } = buildSettings(flags));
    jobs = flags.jobs === undefined ? Math.min(settings.maxThreads, defaultWorkerCount()) : integer(flags.jobs, '--jobs', 0, 64);
  } catch (e) {
    return reportDaemonError(e);
  }
  const log = new DaemonLog({ file: settings.logFile, time: settings.logTime, verbose: settings.logVerbose });
  for (const w of warnings) {
    const line = formatConfigProblem(w, 'warning');
    log.warning(line);
    if (settings.logFile) process.stderr.write(`WARNING: ${line}\n`);
  }
  let daemon: ClamdDaemon;
  try {
    daemon = await ClamdDaemon.start({ settings, version: vigilVersion(), workerThreads: jobs, log });
  } catch (e) {
    return reportDaemonError(e);
  }
  const onStop = (signal: string) => () => {
    log.info(`Received ${signal}`);
    void daemon.shutdown();
  };
  const onReload = () => {
    log.info('Received SIGUSR2: reloading the database');
    daemon.reload();
  };
  const onHup = () => log.info('Received SIGHUP: the log file is reopened on every line, nothing to do');
  const handlers: [NodeJS.Signals, () => void][] = [['SIGTERM', onStop('SIGTERM')], ['SIGINT', onStop('SIGINT')], ['SIGUSR2', onReload], ['SIGHUP', onHup]];
  for (const [sig, fn] of handlers) process.on(sig, fn);
  await daemon.stopped;
  for (const [sig, fn] of handlers) process.off(sig, fn);
  return EXIT_CLEAN;
}

function reportDaemonError(e: unknown): number {
  if (e instanceof DaemonError) {
    for (const p of e.problems) process.stderr.write(`${formatConfigProblem(p, 'error')}\n`);
    process.stderr.write(`ERROR: ${e.message}\n`);
    const cause = e.cause as { problems?: { file: string; line: number; message: string }[] } | undefined;
    if (e.code === 'DATABASE_FAILED' && cause?.problems) return reportError(cause);
    return EXIT_ERROR;
  }
  return reportError(e);
}
