/**
 * The data of one INSTREAM (clamd(8)): chunks of a 4-byte big-endian length and that many bytes,
 * ended by a zero length. The bytes are passed on to the scanner chunk by chunk and never sized
 * from the client's length field; past StreamMaxLength the stream is refused.
 */
import { PassThrough } from 'node:stream';
import type { ScanResult } from '../../engine/index.js';

/** Stream bytes buffered ahead of the scanner before the socket stops being read. */
export const STREAM_BUFFER_BYTES = 1024 * 1024;

/** What consuming stream bytes led to: more is needed, the zero length came, or the limit was passed. */
export type InstreamProgress = 'more' | 'end' | 'too-large';

export class InstreamReader {
  /** Bytes of data so far. */
  total = 0;
  /** Bytes of the current chunk still to come; 0: a length field is next. */
  private need = 0;
  readonly feed = new PassThrough({ highWaterMark: STREAM_BUFFER_BYTES });
  readonly result: Promise<ScanResult>;

  constructor(
    scan: (feed: PassThrough) => Promise<ScanResult>,
    private readonly maxLength: number,
    /** Sends the stream's reply line. */
    readonly reply: (line: string) => void,
    /** Called once after the reply. */
    readonly done: () => void,
  ) {
    this.result = scan(this.feed);
    this.result.catch(() => undefined); // a destroyed feed rejects; handled where the result is awaited
  }

  /**
   * Takes stream bytes from the start of `buf` and returns the rest. `onBlocked` is called when the
   * scanner's buffer is full; the caller stops reading the socket until the feed drains.
   */
  consume(buf: Buffer, onBlocked: (feed: PassThrough) => void): { rest: Buffer; progress: InstreamProgress } {
    while (buf.length > 0) {
      if (this.need === 0) {
        if (buf.length < 4) return { rest: buf, progress: 'more' };
        const len = buf.readUInt32BE(0);
        buf = buf.subarray(4);
        if (len === 0) return { rest: buf, progress: 'end' };
        if (this.total + len > this.maxLength) {
          this.feed.destroy(new Error('stream limit exceeded'));
          return { rest: buf, progress: 'too-large' };
        }
        this.total += len;
        this.need = len;
        continue;
      }
      const take = Math.min(this.need, buf.length);
      const piece = buf.subarray(0, take);
      buf = buf.subarray(take);
      this.need -= take;
      if (!this.feed.write(piece)) onBlocked(this.feed);
    }
    return { rest: buf, progress: 'more' };
  }

  /**
   * Ends the data and replies once the scan is done: `stream: NAME FOUND` or `stream: OK` (a stream
   * larger than `maxFileSize` is OK unscanned, as clamd answers). `log` gets the result for the log.
   */
  finish(maxFileSize: number, log: (verdict: string) => void): void {
    this.feed.end();
    const overSize = this.total > maxFileSize;
    this.result
      .then((r) => {
        const line = r.infected && r.findings.length > 0 && !overSize ? `stream: ${r.findings[0]!.signature} FOUND` : 'stream: OK';
        log(line.slice('stream: '.length));
        this.reply(line);
      })
      .catch((e: unknown) => this.reply(`stream: ${(e as Error).message} ERROR`))
      .finally(this.done);
  }

  /** Stops the scan (the client left, timed out or the connection closed). */
  abort(reason: string): void {
    this.feed.destroy(new Error(reason));
  }
}
