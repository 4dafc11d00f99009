/**
 * One client connection speaking the clamd protocol (clamd(8)); replies checked against clamd 1.4.6.
 *
 * Outside IDSESSION a connection carries one command: its reply is sent and the connection closed.
 * Inside IDSESSION (`zIDSESSION`/`nIDSESSION`) commands keep coming, each reply is prefixed with
 * the command's number (`1: PONG`) and sent as soon as it is ready, possibly out of order; `END`
 * (or the client closing its side) ends the session once every reply has been sent.
 *
 * Nothing a client sends can hurt another client: every buffer is bounded (a command line by
 * COMMAND_MAX_BYTES, stream data is passed on chunk by chunk and never sized from the client's
 * length field), every wait has a timeout, and a client that does not read its replies is dropped.
 */
import type { Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import type { ScanResult } from '../../engine/index.js';
import { COMMANDS, delimiterOf, frameCommand, normaliseCommandText, parseCommand, type CommandMode, type CommandName, type FramedCommand } from './clamd-command.js';
import type { DaemonSettings } from './daemon-config.js';
import type { DaemonLog } from './daemon-log.js';
import { scanPath, type PathCommand } from './path-scan.js';
import type { PoolTaskResult } from '../../engine/index.js';

/** clamd's reply texts. */
export const REPLY = {
  PONG: 'PONG',
  RELOADING: 'RELOADING',
  UNKNOWN_COMMAND: 'UNKNOWN COMMAND',
  UNAVAILABLE: 'COMMAND UNAVAILABLE',
  READ_TIMEOUT: 'COMMAND READ TIMED OUT',
  SIZE_EXCEEDED: 'INSTREAM size limit exceeded. ERROR',
  SESSION_INVALID: 'Command invalid inside IDSESSION. ERROR',
  SESSION_PREFIX_REQUIRED: 'Only nCMDS\\n and zCMDS\\0 are accepted inside IDSESSION. ERROR',
  PROCESSING_ERROR: 'Error processing command. ERROR',
} as const;

/** Wait this long for more of a bare command before taking what came as the whole command. */
export const BARE_COMMAND_GRACE_MS = 20;
/** Replies a client may leave unread before SendBufTimeout starts counting. */
export const UNREAD_REPLY_MAX_BYTES = 1024 * 1024;
/** Stream bytes buffered ahead of the scanner before the socket stops being read. */
export const STREAM_BUFFER_BYTES = 1024 * 1024;

/** What a connection needs from the daemon. */
export interface ConnectionHost {
  readonly settings: DaemonSettings;
  readonly log: DaemonLog;
  version(): string;
  versionCommands(): string;
  stats(): string;
  reload(): void;
  shutdown(): void;
  /** Scans a file through the daemon's job gate. */
  scanFile(path: string, size: number, allMatch: boolean, label: string): Promise<PoolTaskResult>;
  /** Starts scanning a stream; the returned promise settles after `feed` ends or is destroyed. */
  scanStream(feed: PassThrough): Promise<ScanResult>;
}

interface StreamState {
  total: number;
  /** Bytes of the current chunk still to come; 0: a length field is next. */
  need: number;
  feed: PassThrough;
  result: Promise<ScanResult>;
  reply: (line: string) => void;
  done: () => void;
}

interface Session {
  nextId: number;
  pending: number;
  ending: boolean;
}

const EMPTY = Buffer.alloc(0);

export class ClientConnection {
  private buf: Buffer = EMPTY;
  private phase: 'command' | 'stream' | 'busy' | 'closed' = 'command';
  private session: Session | null = null;
  private stream: StreamState | null = null;
  private inputEnded = false;
  private flushBare = false;
  private streamBlocked = false;
  private commandTimer: NodeJS.Timeout | null = null;
  private graceTimer: NodeJS.Timeout | null = null;
  private streamTimer: NodeJS.Timeout | null = null;
  private sendTimer: NodeJS.Timeout | null = null;
  readonly closed: Promise<void>;

  constructor(
    private readonly socket: Socket,
    private readonly host: ConnectionHost,
  ) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('end', () => this.onEnd());
    socket.on('error', () => this.destroy());
    socket.on('close', () => this.cleanup());
    socket.on('drain', () => this.clearSendTimer());
    this.armCommandTimer(host.settings.commandReadTimeoutMs);
  }

  /** Ends the connection now (daemon shutdown). */
  destroy(): void {
    this.phase = 'closed';
    this.socket.destroy();
  }

  private get settings(): DaemonSettings {
    return this.host.settings;
  }

  private onData(chunk: Buffer): void {
    if (this.phase === 'closed' || this.phase === 'busy') return; // one command per connection outside IDSESSION
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    if (this.phase === 'stream') this.armStreamTimer();
    this.process();
  }

  private onEnd(): void {
    this.inputEnded = true;
    if (this.phase === 'stream') {
      // Truncated stream: clamd closes without a reply.
      this.destroy();
      return;
    }
    if (this.phase === 'command') {
      this.flushBare = true;
      this.process();
      if (this.phase !== 'command') return;
      if (this.session) {
        this.session.ending = true;
        this.finishSessionIfDone();
      } else this.close();
    }
  }

  private process(): void {
    while (this.phase === 'command' || this.phase === 'stream') {
      if (this.phase === 'stream') {
        if (!this.consumeStream()) return;
        continue;
      }
      if (this.session && this.session.pending >= this.settings.maxQueue) {
        this.socket.pause(); // resumed when a reply goes out
        return;
      }
      const framed = frameCommand(this.buf, this.flushBare);
      if (framed.kind === 'incomplete') {
        if (this.buf.length > 0 && this.buf[0] !== 0x7a && this.buf[0] !== 0x6e) this.armGraceTimer();
        else if (this.inputEnded) this.destroy(); // a prefixed command cut off by the client
        return;
      }
      if (framed.kind === 'too-long') {
        this.host.log.warning(`${this.peer()}: command line longer than the limit; connection closed`);
        this.destroy();
        return;
      }
      this.buf = this.buf.subarray(framed.command.consumed);
      this.flushBare = false;
      this.clearTimer('graceTimer');
      this.dispatch(framed.command);
    }
  }

  private dispatch(cmd: FramedCommand): void {
    this.clearTimer('commandTimer');
    const parsed = parseCommand(normaliseCommandText(cmd.text));
    const d = delimiterOf(cmd.mode);
    const session = this.session;
    if (session) {
      const id = session.nextId;
      if (cmd.mode === 'bare') {
        this.write(`${id}: ${REPLY.SESSION_PREFIX_REQUIRED}\n${id}: ${REPLY.PROCESSING_ERROR}\n`);
        this.close();
        return;
      }
      if (parsed.name === null || !COMMANDS[parsed.name].session) {
        this.write(`${id}: ${REPLY.SESSION_INVALID}${d}`);
        this.close();
        return;
      }
      if (parsed.name === 'END') {
        session.ending = true;
        this.phase = 'busy';
        this.finishSessionIfDone();
        return;
      }
      session.nextId++;
      session.pending++;
      const prefix = `${id}: `;
      let finished = false;
      const done = () => {
        if (finished) return;
        finished = true;
        session.pending--;
        if (this.socket.isPaused() && !this.streamBlocked && this.phase === 'command') {
          this.socket.resume();
          setImmediate(() => this.process());
        }
        this.finishSessionIfDone();
      };
      this.execute(parsed.name, parsed.path, cmd.mode, (line) => this.write(`${prefix}${line}${d}`), done);
      return;
    }
    if (parsed.name === null || (cmd.mode === 'bare' && !COMMANDS[parsed.name].bare) || parsed.name === 'END') {
      this.write(`${REPLY.UNKNOWN_COMMAND}${d}`);
      this.close();
      return;
    }
    if (parsed.name === 'IDSESSION') {
      this.session = { nextId: 1, pending: 0, ending: false };
      this.armCommandTimer(this.settings.readTimeoutMs);
      return;
    }
    if (parsed.name === 'DETSTATS' || parsed.name === 'DETSTATSCLEAR') {
      this.close();
      return;
    }
    this.phase = parsed.name === 'INSTREAM' ? 'stream' : 'busy';
    this.execute(parsed.name, parsed.path, cmd.mode, (line) => this.write(`${line}${d}`), () => this.close());
  }

  /** Runs one command; `reply` sends a line, `done` is called once after the last one. */
  private execute(name: CommandName, path: string | null, mode: CommandMode, reply: (line: string) => void, done: () => void): void {
    const s = this.settings;
    switch (name) {
      case 'PING':
        reply(REPLY.PONG);
        return done();
      case 'VERSION':
        reply(s.enableVersion ? this.host.version() : REPLY.UNAVAILABLE);
        return done();
      case 'VERSIONCOMMANDS':
        reply(s.enableVersion ? this.host.versionCommands() : REPLY.UNAVAILABLE);
        return done();
      case 'STATS':
        reply(s.enableStats ? this.host.stats() : REPLY.UNAVAILABLE);
        return done();
      case 'RELOAD':
        if (s.enableReload) {
          this.host.reload();
          reply(REPLY.RELOADING);
        } else reply(REPLY.UNAVAILABLE);
        return done();
      case 'SHUTDOWN':
        if (s.enableShutdown) this.host.shutdown();
        else reply(REPLY.UNAVAILABLE);
        return done();
      case 'INSTREAM':
        this.startStream(reply, done);
        return;
      case 'SCAN':
      case 'CONTSCAN':
      case 'MULTISCAN':
      case 'ALLMATCHSCAN':
        this.host.log.verbose(`${this.peer()}: ${name} ${path ?? ''} (${mode})`);
        void scanPath(name as PathCommand, path ?? '', {
          followDirectorySymlinks: s.followDirectorySymlinks,
          followFileSymlinks: s.followFileSymlinks,
          excludePaths: s.excludePaths,
          maxDirectoryRecursion: s.maxDirectoryRecursion,
          parallel: s.maxThreads,
          scanFile: (p, size, allMatch) => this.host.scanFile(p, size, allMatch, `${name} ${p}`),
          emit: (line) => {
            this.logResult(line);
            reply(line);
          },
          stopped: () => this.phase === 'closed',
        })
          .catch((e: unknown) => {
            this.host.log.error(`${name} ${path}: ${(e as Error).message}`);
            reply(`${path}: ${(e as Error).message} ERROR`);
          })
          .finally(done);
        return;
      default:
        reply(REPLY.UNKNOWN_COMMAND);
        return done();
    }
  }

  private logResult(line: string): void {
    if (line.endsWith(' FOUND') || line.endsWith(' ERROR')) this.host.log.info(line);
    else if (this.settings.logClean) this.host.log.info(line);
  }

  // --- INSTREAM: 4-byte big-endian length, that many bytes, ..., a zero length ends (clamd(8)).

  private startStream(reply: (line: string) => void, done: () => void): void {
    const feed = new PassThrough({ highWaterMark: STREAM_BUFFER_BYTES });
    const result = this.host.scanStream(feed);
    result.catch(() => undefined); // a destroyed feed rejects; handled where the result is awaited
    this.stream = { total: 0, need: 0, feed, result, reply, done };
    this.phase = 'stream';
    this.armStreamTimer();
  }

  /** Consumes stream bytes from the buffer; true when the stream ended and commands follow. */
  private consumeStream(): boolean {
    const st = this.stream!;
    while (this.buf.length > 0) {
      if (st.need === 0) {
        if (this.buf.length < 4) return false;
        const len = this.buf.readUInt32BE(0);
        this.buf = this.buf.subarray(4);
        if (len === 0) {
          this.endStream();
          return this.phase === 'command';
        }
        if (st.total + len > this.settings.streamMaxLength) {
          this.host.log.warning(`${this.peer()}: INSTREAM: size limit of ${this.settings.streamMaxLength} bytes exceeded`);
          st.feed.destroy(new Error('stream limit exceeded'));
          st.reply(REPLY.SIZE_EXCEEDED);
          this.stream = null;
          this.close();
          return false;
        }
        st.total += len;
        st.need = len;
        continue;
      }
      const take = Math.min(st.need, this.buf.length);
      const piece = this.buf.subarray(0, take);
      this.buf = this.buf.subarray(take);
      st.need -= take;
      if (!st.feed.write(piece)) {
        this.streamBlocked = true;
        this.socket.pause();
        st.feed.once('drain', () => {
          this.streamBlocked = false;
          if (this.phase !== 'closed') this.socket.resume();
        });
      }
    }
    return false;
  }

  private endStream(): void {
    const st = this.stream!;
    this.stream = null;
    this.clearTimer('streamTimer');
    st.feed.end();
    const overSize = st.total > this.settings.maxFileSize;
    this.phase = this.session ? 'command' : 'busy';
    if (this.session) this.armIdleTimerIfIdle();
    st.result
      .then((r) => {
        const line = r.infected && r.findings.length > 0 && !overSize ? `stream: ${r.findings[0]!.signature} FOUND` : 'stream: OK';
        this.logResult(`instream(${this.peer()}): ${line.slice('stream: '.length)}`);
        st.reply(line);
      })
      .catch((e: unknown) => st.reply(`stream: ${(e as Error).message} ERROR`))
      .finally(st.done);
  }

  // --- sessions, timers, output

  private finishSessionIfDone(): void {
    const s = this.session;
    if (!s) return;
    if (s.ending && s.pending === 0) this.close();
    else this.armIdleTimerIfIdle();
  }

  /** In a session with nothing pending, the client has ReadTimeout to send its next command. */
  private armIdleTimerIfIdle(): void {
    const s = this.session;
    if (s && !s.ending && s.pending === 0 && this.phase === 'command') this.armCommandTimer(this.settings.readTimeoutMs);
  }

  private armCommandTimer(ms: number): void {
    this.clearTimer('commandTimer');
    this.commandTimer = setTimeout(() => this.timedOut(), ms);
  }

  private armStreamTimer(): void {
    this.clearTimer('streamTimer');
    this.streamTimer = setTimeout(() => this.timedOut(), this.settings.readTimeoutMs);
  }

  private armGraceTimer(): void {
    this.clearTimer('graceTimer');
    this.graceTimer = setTimeout(() => {
      this.graceTimer = null;
      this.flushBare = true;
      this.process();
    }, BARE_COMMAND_GRACE_MS);
  }

  private timedOut(): void {
    if (this.phase === 'closed') return;
    if (this.session && this.session.pending > 0) return; // replies still to come
    this.host.log.verbose(`${this.peer()}: command read timed out`);
    this.stream?.feed.destroy(new Error('timed out'));
    this.stream = null;
    this.write(`${REPLY.READ_TIMEOUT}\n`);
    this.close();
  }

  private clearTimer(name: 'commandTimer' | 'graceTimer' | 'streamTimer'): void {
    const t = this[name];
    if (t) clearTimeout(t);
    this[name] = null;
  }

  private clearSendTimer(): void {
    if (this.sendTimer) clearTimeout(this.sendTimer);
    this.sendTimer = null;
  }

  private write(text: string): void {
    if (this.socket.destroyed || !this.socket.writable) return;
    this.socket.write(text);
    if (this.socket.writableLength > UNREAD_REPLY_MAX_BYTES && !this.sendTimer) {
      this.sendTimer = setTimeout(() => {
        if (this.socket.writableLength > UNREAD_REPLY_MAX_BYTES) {
          this.host.log.warning(`${this.peer()}: client does not read its replies; connection closed`);
          this.destroy();
        }
      }, this.settings.sendBufTimeoutMs);
    }
  }

  /** Sends what is queued, then closes; a client that never reads is cut off after ReadTimeout. */
  private close(): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    this.clearTimer('commandTimer');
    this.clearTimer('graceTimer');
    this.clearTimer('streamTimer');
    this.stream?.feed.destroy(new Error('connection closed'));
    this.stream = null;
    this.socket.end();
    setTimeout(() => this.socket.destroy(), this.settings.readTimeoutMs).unref();
  }

  private cleanup(): void {
    this.phase = 'closed';
    this.clearTimer('commandTimer');
    this.clearTimer('graceTimer');
    this.clearTimer('streamTimer');
    this.clearSendTimer();
    this.stream?.feed.destroy(new Error('client disconnected'));
    this.stream = null;
  }

  private peer(): string {
    const a = this.socket.remoteAddress;
    return a ? `${a}@${this.socket.remotePort}` : 'local';
  }
}
