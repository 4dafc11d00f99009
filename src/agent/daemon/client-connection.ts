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
import type { PassThrough } from 'node:stream';
import { COMMANDS, delimiterOf, frameCommand, normaliseCommandText, parseCommand, type FramedCommand } from './clamd-command.js';
import { REPLY } from './clamd-reply.js';
import { logScanLine, runCommand, type CommandContext } from './command-runner.js';
import type { ConnectionHost } from './connection-host.js';
import type { DaemonSettings } from './daemon-config.js';
import { InstreamReader } from './instream-reader.js';

export { REPLY } from './clamd-reply.js';
export type { ConnectionHost } from './connection-host.js';

/** Wait this long for more of a bare command before taking what came as the whole command. */
export const BARE_COMMAND_GRACE_MS = 20;
/** Replies a client may leave unread before SendBufTimeout starts counting. */
export const UNREAD_REPLY_MAX_BYTES = 1024 * 1024;

/** An IDSESSION: the next command's number, replies still to come, and whether END was seen. */
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
  private stream: InstreamReader | null = null;
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
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- process() may have moved the phase on
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
      runCommand(parsed.name, parsed.path, cmd.mode, this.context, (line) => this.write(`${prefix}${line}${d}`), done);
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
    runCommand(parsed.name, parsed.path, cmd.mode, this.context, (line) => this.write(`${line}${d}`), () => this.close());
  }

  /** What runCommand may use of this connection. */
  private get context(): CommandContext {
    return {
      host: this.host,
      peer: () => this.peer(),
      stopped: () => this.phase === 'closed',
      startStream: (reply, done) => this.startStream(reply, done),
    };
  }

  // --- INSTREAM (instream-reader.ts reads the chunks)

  private startStream(reply: (line: string) => void, done: () => void): void {
    this.stream = new InstreamReader((feed) => this.host.scanStream(feed), this.settings.streamMaxLength, reply, done);
    this.phase = 'stream';
    this.armStreamTimer();
  }

  /** Consumes stream bytes from the buffer; true when the stream ended and commands follow. */
  private consumeStream(): boolean {
    const st = this.stream!;
    const { rest, progress } = st.consume(this.buf, (feed) => this.blockOn(feed));
    this.buf = rest;
    if (progress === 'end') {
      this.endStream();
      return this.phase === 'command';
    }
    if (progress === 'too-large') {
      this.host.log.warning(`${this.peer()}: INSTREAM: size limit of ${this.settings.streamMaxLength} bytes exceeded`);
      st.reply(REPLY.SIZE_EXCEEDED);
      this.stream = null;
      this.close();
    }
    return false;
  }

  /** The scanner is behind: stop reading the socket until its buffer drains. */
  private blockOn(feed: PassThrough): void {
    this.streamBlocked = true;
    this.socket.pause();
    feed.once('drain', () => {
      this.streamBlocked = false;
      if (this.phase !== 'closed') this.socket.resume();
    });
  }

  private endStream(): void {
    const st = this.stream!;
    this.stream = null;
    this.clearTimer('streamTimer');
    const peer = this.peer();
    st.finish(this.settings.maxFileSize, (verdict) => logScanLine(this.host, `instream(${peer}): ${verdict}`));
    this.phase = this.session ? 'command' : 'busy';
    if (this.session) this.armIdleTimerIfIdle();
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
    this.stream?.abort('timed out');
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
    this.stream?.abort('connection closed');
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
    this.stream?.abort('client disconnected');
    this.stream = null;
  }

  private peer(): string {
    const a = this.socket.remoteAddress;
    return a ? `${a}@${String(this.socket.remotePort)}` : 'local';
  }
}
