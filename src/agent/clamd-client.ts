/**
 * A small client of the clamd protocol, for applications that keep the scanner in a separate
 * daemon (`vigil daemon`, or ClamAV's clamd: the protocol is the same). It speaks the `z` form
 * (NUL-terminated commands and replies), one command per connection, as clamd expects outside
 * IDSESSION:
 *
 *   const client = new ClamdClient({ host: '127.0.0.1', port: 3310 });
 *   const r = await client.scanStream(request.raw);   // INSTREAM
 *   if (r.verdict === 'infected') reject(r.signature);
 *
 * INSTREAM sends the data in chunks of a 4-byte big-endian length and the bytes, ended by a zero
 * length; the daemon answers `stream: OK`, `stream: <signature> FOUND`, or an error such as
 * `INSTREAM size limit exceeded. ERROR`, after which it closes the connection. The client stops
 * sending as soon as an answer arrives, so a refused stream is not read to its end. Failures are
 * ClamdError with a code: UNREACHABLE, TIMEOUT, SIZE_LIMIT, CLOSED (the connection was reset while
 * a stream was sent: clamd does that past its StreamMaxLength when its answer is lost in the reset),
 * SERVER_ERROR (the daemon's own error text) and PROTOCOL (an answer that is not the protocol's).
 */
import { VigilError } from '../protocol/index.js';
import { connect, type Socket } from 'node:net';
import type { Readable } from 'node:stream';

export interface ClamdClientOptions {
  /** TCP host (default 127.0.0.1) and port (default 3310), unless `socketPath` is given. */
  host?: string;
  port?: number;
  /** A Unix socket (clamd.conf LocalSocket). */
  socketPath?: string;
  /** Connect, and then no progress for this long, fails with TIMEOUT (default 30 s). */
  timeoutMs?: number;
  /** Largest INSTREAM chunk sent (default 64 KiB); larger reads are split. */
  chunkBytes?: number;
}

export type ClamdErrorCode = 'UNREACHABLE' | 'TIMEOUT' | 'SIZE_LIMIT' | 'CLOSED' | 'SERVER_ERROR' | 'PROTOCOL';

export class ClamdError extends VigilError {
  constructor(
    readonly code: ClamdErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ClamdError';
  }
}

export interface RemoteScanResult {
  verdict: 'clean' | 'infected';
  /** The signature name when infected. */
  signature: string | null;
  /** The daemon's answer as sent, without its terminator. */
  reply: string;
}

/** Replies longer than this are not clamd's (a VERSION or STATS answer is a few hundred bytes). */
const MAX_REPLY_BYTES = 64 * 1024;
const DEFAULT_CHUNK = 64 * 1024;

export class ClamdClient {
  private readonly timeoutMs: number;
  private readonly chunkBytes: number;

  constructor(private readonly options: ClamdClientOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK;
    if (!(this.timeoutMs > 0)) throw new RangeError(`timeoutMs must be positive, not ${this.timeoutMs}`);
    if (!(Number.isInteger(this.chunkBytes) && this.chunkBytes > 0 && this.chunkBytes <= 0x7fffffff)) throw new RangeError(`chunkBytes must be a positive integer, not ${this.chunkBytes}`);
  }

  /** Where the daemon is, for messages. */
  get address(): string {
    return this.options.socketPath ?? `${this.options.host ?? '127.0.0.1'}:${this.options.port ?? 3310}`;
  }

  /** True when the daemon answers PING with PONG. */
  async ping(): Promise<boolean> {
    return (await this.command('PING')) === 'PONG';
  }

  /** The daemon's VERSION answer, e.g. `ClamAV 1.4.6/27000/...` or Vigil's. */
  version(): Promise<string> {
    return this.command('VERSION');
  }

  async scanBuffer(data: Uint8Array): Promise<RemoteScanResult> {
    return this.scanStream([data]);
  }

  /** Sends the stream with INSTREAM and returns the daemon's verdict. */
  async scanStream(stream: Readable | AsyncIterable<Uint8Array | string> | Iterable<Uint8Array>): Promise<RemoteScanResult> {
    const reply = await this.exchange('INSTREAM', stream as AsyncIterable<Uint8Array | string>);
    return readScanReply(reply);
  }

  /** One command without data; the answer without its terminator. */
  private command(name: string): Promise<string> {
    return this.exchange(name, null);
  }

  private exchange(name: string, data: AsyncIterable<Uint8Array | string> | null): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      const socket: Socket = this.options.socketPath ? connect({ path: this.options.socketPath }) : connect({ host: this.options.host ?? '127.0.0.1', port: this.options.port ?? 3310 });
      const chunks: Buffer[] = [];
      let received = 0;
      let settled = false;
      let connected = false;
      const finish = (error: ClamdError | null, reply?: string) => {
        if (settled) return;
        settled = true;
        socket.destroy();
        if (error) reject(error);
        else resolve(reply!);
      };
      const replyText = (): string | null => {
        const all = Buffer.concat(chunks);
        const end = all.indexOf(0);
        return end >= 0 ? all.subarray(0, end).toString('utf8') : null;
      };
      socket.setTimeout(this.timeoutMs, () => finish(new ClamdError('TIMEOUT', `the daemon at ${this.address} did not answer within ${this.timeoutMs} ms`)));
      socket.on('error', (e: Error & { code?: string }) => {
        // A daemon that answered and closed while we were still sending (a size limit) has said its piece.
        const text = replyText();
        if (text !== null) {
          finish(null, text);
          return;
        }
        if (!connected) {
          finish(new ClamdError('UNREACHABLE', `cannot reach the daemon at ${this.address} (${e.code ?? e.message})`, { cause: e }));
          return;
        }
        // clamd answers a stream past StreamMaxLength and closes with data still unread, which resets
        // the connection; the reset can arrive before its answer is read, and then the answer is lost.
        if (data && (e.code === 'ECONNRESET' || e.code === 'EPIPE')) {
          finish(new ClamdError('CLOSED', `the daemon at ${this.address} closed the connection while the stream was being sent (${e.code}); a stream longer than its StreamMaxLength ends this way`, { cause: e }));
          return;
        }
        finish(new ClamdError('PROTOCOL', `the connection to ${this.address} failed: ${e.code ?? e.message}`, { cause: e }));
      });
      socket.on('data', (chunk: Buffer) => {
        received += chunk.length;
        chunks.push(chunk);
        const text = replyText();
        if (text !== null) finish(null, text);
        else if (received > MAX_REPLY_BYTES) finish(new ClamdError('PROTOCOL', `the daemon at ${this.address} sent more than ${MAX_REPLY_BYTES} bytes without ending its answer`));
      });
      socket.on('end', () => {
        // Some daemons end a reply with the connection rather than a NUL.
        const all = Buffer.concat(chunks).toString('utf8').replace(/\0[\s\S]*$/, '');
        if (all.length > 0) finish(null, all.replace(/\n$/, ''));
        else finish(new ClamdError('PROTOCOL', `the daemon at ${this.address} closed the connection without answering ${name}`));
      });
      socket.once('connect', () => {
        connected = true;
        socket.write(`z${name}\0`);
        if (data) {
          this.sendChunks(socket, data, () => settled).then(
            () => undefined,
            (e: unknown) => finish(e instanceof ClamdError ? e : new ClamdError('PROTOCOL', `reading the data to scan failed: ${(e as Error).message}`, { cause: e })),
          );
        }
      });
    });
  }

  private async sendChunks(socket: Socket, data: AsyncIterable<Uint8Array | string>, stop: () => boolean): Promise<void> {
    const header = Buffer.alloc(4);
    for await (const piece of data) {
      if (stop()) return;
      const bytes = typeof piece === 'string' ? Buffer.from(piece) : piece;
      for (let at = 0; at < bytes.length; at += this.chunkBytes) {
        if (stop()) return;
        const part = bytes.subarray(at, Math.min(bytes.length, at + this.chunkBytes));
        header.writeUInt32BE(part.length, 0);
        socket.write(Buffer.from(header));
        if (!socket.write(part)) await waitDrain(socket, stop);
      }
    }
    if (!stop()) socket.write(Buffer.alloc(4));
  }
}

function waitDrain(socket: Socket, stop: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    if (stop() || socket.destroyed) {
      resolve();
      return;
    }
    const done = () => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}

/** `stream: OK`, `stream: Name FOUND`, or an error answer. */
export function readScanReply(reply: string): RemoteScanResult {
  // In a session the answer carries the request id first ("3: stream: OK").
  const text = reply.replace(/^\d+: /, '');
  if (/^stream: OK$/.test(text)) return { verdict: 'clean', signature: null, reply };
  const found = /^stream: (.+) FOUND$/.exec(text);
  if (found) return { verdict: 'infected', signature: found[1]!, reply };
  if (/size limit exceeded/i.test(text)) throw new ClamdError('SIZE_LIMIT', `the daemon refused the stream: ${text}`);
  if (text.endsWith(' ERROR')) throw new ClamdError('SERVER_ERROR', `the daemon could not scan the stream: ${text}`);
  throw new ClamdError('PROTOCOL', `not an answer to INSTREAM: ${JSON.stringify(text.slice(0, 200))}`);
}
