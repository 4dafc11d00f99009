/**
 * `vigil daemon`: listens on TCP and/or a Unix socket and serves the clamd protocol with one
 * loaded database shared by every client (see client-connection.ts for the protocol and
 * scan-engine.ts for the database and worker threads).
 *
 * Lifecycle: start() loads the database and binds the sockets (a stale Unix socket file left by a
 * dead daemon is removed, a live one is an error); reload() swaps the database in the background;
 * shutdown() stops accepting, lets requests in progress finish for up to SHUTDOWN_GRACE_MS, then
 * closes the rest and removes the socket and PID files.
 */
import { chmodSync, createWriteStream, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, type PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { formatProblem, type PoolTaskResult, type ScanResult } from '../../engine/index.js';
import { VERSION_COMMANDS_LIST } from './clamd-command.js';
import { ClientConnection } from './client-connection.js';
import type { ConnectionHost } from './connection-host.js';
import type { DaemonSettings } from './daemon-config.js';
import { DaemonError } from './daemon-error.js';
import { ctime, DaemonLog } from './daemon-log.js';
import { formatStats } from './daemon-stats.js';
import { JobGate } from './job-gate.js';
import { POOL_MIN_FILE_SIZE } from '../scan/index.js';
import { ScanEngine } from './scan-engine.js';

/** How long SHUTDOWN waits for requests in progress before closing their connections. */
export const SHUTDOWN_GRACE_MS = 5_000;

export interface DaemonStartOptions {
  settings: DaemonSettings;
  /** Vigil's version, for VERSION. */
  version: string;
  /** Worker threads for file scans; 0: everything on the main thread. Default: min(MaxThreads, cores). */
  workerThreads: number;
  log?: DaemonLog;
}

export interface ListenAddress {
  kind: 'tcp' | 'unix';
  /** host:port, or the socket path. */
  address: string;
  port?: number;
}

export class ClamdDaemon implements ConnectionHost {
  private readonly servers: Server[] = [];
  private readonly connections = new Set<ClientConnection>();
  private readonly gate: JobGate;
  private stopping: Promise<void> | null = null;
  private resolveStopped!: () => void;
  /** Settles when the daemon has shut down (SHUTDOWN, a signal, or shutdown()). */
  readonly stopped: Promise<void>;
  readonly addresses: ListenAddress[] = [];
  /** The private folder of spooled INSTREAM data (made on first use), and how many streams went there. */
  private spoolDir: string | null = null;
  private spooled = 0;

  private constructor(
    readonly settings: DaemonSettings,
    readonly log: DaemonLog,
    private readonly engine: ScanEngine,
    private readonly vigilVersion: string,
  ) {
    this.gate = new JobGate(settings.maxThreads, settings.maxQueue);
    this.stopped = new Promise((resolve) => (this.resolveStopped = resolve));
  }

  static async start(options: DaemonStartOptions): Promise<ClamdDaemon> {
    const s = options.settings;
    const log = options.log ?? new DaemonLog({ file: s.logFile, time: s.logTime, verbose: s.logVerbose });
    if (s.tcpPort === null && s.localSocket === null) {
      throw new DaemonError('NO_LISTENER', 'no socket to listen on: set TCPSocket and/or LocalSocket (or --port / --local-socket)');
    }
    let engine: ScanEngine;
    try {
      engine = await ScanEngine.open({
        databases: s.databases,
        ...(s.cacheDir === undefined ? {} : { cacheDir: s.cacheDir }),
        scan: s,
        workerThreads: options.workerThreads,
        idleTimeoutMs: s.idleTimeoutMs,
      });
    } catch (e) {
      throw new DaemonError('DATABASE_FAILED', `cannot load the signature database: ${(e as Error).message}`, { cause: e });
    }
    const daemon = new ClamdDaemon(s, log, engine, options.version);
    daemon.logDatabase('Loaded');
    try {
      if (s.tcpPort !== null) for (const host of s.tcpAddresses) await daemon.listenTcp(host, s.tcpPort);
      if (s.localSocket !== null) await daemon.listenUnix(s.localSocket);
    } catch (e) {
      await daemon.shutdown();
      throw e;
    }
    if (s.pidFile) writeFileSync(s.pidFile, `${process.pid}\n`);
    return daemon;
  }

  private logDatabase(verb: string): void {
    const db = this.engine.database;
    this.log.info(`${verb} ${db.info.knownSignatures} signatures (${this.settings.databases.length > 0 ? this.settings.databases.join(', ') : 'built-in database'}).`);
    for (const w of db.warnings) this.log.verbose(formatProblem(w));
  }

  private newServer(): Server {
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: false }, (socket) => this.accept(socket));
    server.on('error', (e) => this.log.error(`listener: ${e.message}`));
    this.servers.push(server);
    return server;
  }

  private async listenTcp(host: string, port: number): Promise<void> {
    const server = this.newServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e) => reject(new DaemonError('LISTEN_FAILED', `TCP ${host}:${port}: ${(e as NodeJS.ErrnoException).code ?? e.message}`, { cause: e })));
      server.listen({ host, port, backlog: this.settings.maxConnectionQueueLength }, resolve);
    });
    const a = server.address();
    const bound = typeof a === 'object' && a ? a.port : port;
    this.addresses.push({ kind: 'tcp', address: `${host}:${bound}`, port: bound });
    this.log.info(`TCP: Bound to [${host}]:${bound}`);
  }

  private async listenUnix(path: string): Promise<void> {
    if (this.settings.fixStaleSocket) await removeStaleSocket(path);
    const server = this.newServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e) => reject(new DaemonError('LISTEN_FAILED', `LOCAL ${path}: ${(e as NodeJS.ErrnoException).code === 'EADDRINUSE' ? 'the socket file exists (another daemon is running, or set FixStaleSocket)' : ((e as NodeJS.ErrnoException).code ?? e.message)}`, { cause: e })));
      server.listen({ path, backlog: this.settings.maxConnectionQueueLength }, resolve);
    });
    if (this.settings.localSocketMode) chmodSync(path, parseInt(this.settings.localSocketMode, 8));
    this.addresses.push({ kind: 'unix', address: path });
    this.log.info(`LOCAL: Unix socket file ${path}`);
  }

  private accept(socket: Socket): void {
    if (this.stopping || this.connections.size >= this.settings.maxConnections) {
      if (!this.stopping) this.log.warning(`too many connections (MaxConnections ${this.settings.maxConnections}); one refused`);
      socket.destroy();
      return;
    }
    socket.on('error', () => undefined);
    const conn = new ClientConnection(socket, this);
    this.connections.add(conn);
    void conn.closed.then(() => this.connections.delete(conn));
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  // --- ConnectionHost

  version(): string {
    const db = this.engine.database;
    return `Vigil ${this.vigilVersion}/${Math.floor(db.info.buildTime.getTime() / 1000)}/${ctime(db.loadedAt)}`;
  }

  versionCommands(): string {
    return `${this.version()}| COMMANDS: ${VERSION_COMMANDS_LIST}`;
  }

  stats(): string {
    return formatStats({
      running: this.gate.runningCount,
      liveThreads: this.engine.liveThreads,
      maxThreads: this.settings.maxThreads,
      idleTimeoutSeconds: Math.round(this.settings.idleTimeoutMs / 1000),
      jobs: this.gate.jobs,
      reloading: this.engine.reloadInProgress,
      databaseBytes: this.engine.database.bytes.length,
    });
  }

  async scanFile(path: string, size: number, allMatch: boolean, label: string): Promise<PoolTaskResult> {
    await this.gate.admit();
    return this.gate.run(label, () => this.engine.scanFile(path, size, allMatch));
  }

  /**
   * INSTREAM data. A stream that ends within POOL_MIN_FILE_SIZE (the usual upload) is scanned here
   * from memory; a longer one is spooled, as clamd does, to a file of its own (mode 0600) in a
   * private temporary folder and scanned on the worker pool under the job gate like a SCAN of a
   * file, so streams use every worker and MaxThreads/MaxQueue apply to them. The file is removed
   * when the scan ends, and the folder at shutdown.
   */
  async scanStream(feed: PassThrough): Promise<ScanResult> {
    const scanner = this.engine.streamScanner(false);
    const head: Buffer[] = [];
    let size = 0;
    const chunks = feed[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    for (;;) {
      const next = await chunks.next();
      if (next.done) return scanner.scanBuffer(Buffer.concat(head, size), { path: 'stream' });
      head.push(next.value);
      size += next.value.length;
      if (size >= POOL_MIN_FILE_SIZE) break;
    }
    this.spoolDir ??= mkdtempSync(join(tmpdir(), 'vigil-daemon-streams-'));
    const file = join(this.spoolDir, `stream-${++this.spooled}`);
    try {
      const all = (async function* () {
        yield* head;
        for (let next = await chunks.next(); !next.done; next = await chunks.next()) {
          size += next.value.length;
          yield next.value;
        }
      })();
      await pipeline(Readable.from(all), createWriteStream(file, { flags: 'wx', mode: 0o600 }));
      const outcome = await this.scanFile(file, size, false, 'stream');
      if (!outcome.ok) throw new Error(outcome.message);
      return outcome.result;
    } finally {
      rmSync(file, { force: true });
    }
  }

  /** Loads the database again in the background; a failure keeps the old one and is logged. */
  reload(): void {
    if (this.stopping) return;
    this.log.info('Reading databases');
    this.engine.reload().then(
      () => this.logDatabase('Database correctly reloaded:'),
      (e: unknown) => {
        const problems = (e as { problems?: Parameters<typeof formatProblem>[0][] }).problems ?? [];
        for (const p of problems) this.log.error(formatProblem(p));
        this.log.error(`Database reload failed, keeping the old database: ${(e as Error).message}`);
      },
    );
  }

  /** Stops accepting, lets requests finish (up to SHUTDOWN_GRACE_MS), then closes everything. */
  shutdown(): Promise<void> {
    this.stopping ??= (async () => {
      this.log.info('Shutting down');
      await Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
      const grace = setTimeout(() => {
        for (const c of this.connections) c.destroy();
      }, SHUTDOWN_GRACE_MS);
      await Promise.all([...this.connections].map((c) => c.closed));
      clearTimeout(grace);
      await this.engine.close();
      if (this.spoolDir) rmSync(this.spoolDir, { recursive: true, force: true });
      for (const a of this.addresses) if (a.kind === 'unix') rmSync(a.address, { force: true });
      if (this.settings.pidFile) rmSync(this.settings.pidFile, { force: true });
      this.log.info('Stopped');
      this.resolveStopped();
    })();
    return this.stopping;
  }
}

/** Removes a Unix socket file nobody listens on any more (FixStaleSocket); a live one is left. */
async function removeStaleSocket(path: string): Promise<void> {
  const stale = await new Promise<boolean>((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(false);
    });
    // Only a socket file that refuses connections is stale; anything else is left for listen() to report.
    probe.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
  });
  if (stale) {
    try {
      unlinkSync(path);
    } catch {
      // listen() reports what is wrong
    }
  }
}
