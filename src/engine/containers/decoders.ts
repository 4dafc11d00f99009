/**
 * Decompressors for the streams containers hold: raw deflate (ZIP method 8) and gzip through
 * node:zlib, bzip2 (ZIP method 12 and .bz2) through seek-bzip. Each writes its output in chunks to
 * a sink that may refuse more (a limit was reached), and reports how the stream ended; none trusts
 * a size from the stream, and each stops as soon as the sink refuses.
 */
import { createGunzip, createInflateRaw, type Gunzip, type Inflate, type InflateRaw } from 'node:zlib';
import Bunzip from 'seek-bzip';

/** Takes a chunk of output; false stops the decoder. */
export type Sink = (chunk: Uint8Array) => boolean;

/** `complete`: the stream ended well; `stopped`: the sink refused more; `error`: damaged or cut short (output so far was delivered). */
export type DecodeEnd = { end: 'complete' } | { end: 'stopped' } | { end: 'error'; detail: string };

export type Decoder = (input: Uint8Array, sink: Sink) => Promise<DecodeEnd>;

const INPUT_SLICE = 64 * 1024;

/**
 * Runs a node:zlib stream over `input`, slice by slice, honouring back-pressure; `transform`, when
 * given, turns each slice (at `offset` in `input`) into the bytes to inflate (a de-obfuscation).
 */
export function runZlib(z: Inflate | InflateRaw | Gunzip, input: Uint8Array, sink: Sink, transform?: (slice: Uint8Array, offset: number) => Uint8Array): Promise<DecodeEnd> {
  return new Promise((resolve) => {
    let settled = false;
    let offset = 0;
    const settle = (end: DecodeEnd) => {
      if (settled) return;
      settled = true;
      z.removeAllListeners();
      z.on('error', () => {});
      z.destroy();
      resolve(end);
    };
    z.on('data', (chunk: Buffer) => {
      if (!settled && !sink(chunk)) settle({ end: 'stopped' });
    });
    z.on('error', (e: Error) => settle({ end: 'error', detail: e.message }));
    z.on('end', () => settle({ end: 'complete' }));
    const pump = () => {
      while (!settled && offset < input.length) {
        const raw = input.subarray(offset, offset + INPUT_SLICE);
        const slice = transform ? transform(raw, offset) : raw;
        offset += raw.length;
        if (!z.write(slice)) {
          z.once('drain', pump);
          return;
        }
      }
      if (!settled) z.end();
    };
    pump();
  });
}

/** Raw deflate (RFC 1951), as ZIP stores it. Bytes after the end of the stream are ignored. */
export const inflateRaw: Decoder = (input, sink) => runZlib(createInflateRaw(), input, sink);

/** gzip (RFC 1952), every member of a multi-member file one after the other. */
export const gunzip: Decoder = (input, sink) => runZlib(createGunzip(), input, sink);

const BZIP2_OUTPUT_CHUNK = 64 * 1024;
/** Reads past the end that seek-bzip may make before a cut stream counts as cut. */
const BZIP2_OVERRUN = 8;

class Stop extends Error {}

/** bzip2, every stream of a multi-stream file. Synchronous underneath: output comes a byte at a time. */
export const bunzip2: Decoder = async (input, sink) => {
  let pos = 0;
  let overrun = 0;
  const source = {
    readByte(): number {
      if (pos < input.length) return input[pos++]!;
      if (++overrun > BZIP2_OVERRUN) throw new Error('unexpected end of the bzip2 stream');
      return 0;
    },
    read(buf: Uint8Array, at: number, n: number): number {
      let i = 0;
      for (; i < n && pos < input.length; i++) buf[at + i] = input[pos++]!;
      return i === 0 && n > 0 ? -1 : i;
    },
    seek(p: number): void {
      pos = p;
    },
    eof: (): boolean => pos >= input.length,
  };
  let out = new Uint8Array(BZIP2_OUTPUT_CHUNK);
  let used = 0;
  const flush = () => {
    if (used === 0) return;
    const chunk = out.subarray(0, used);
    out = new Uint8Array(BZIP2_OUTPUT_CHUNK);
    used = 0;
    if (!sink(chunk)) throw new Stop();
  };
  const target = {
    writeByte(b: number): void {
      out[used++] = b;
      if (used === out.length) flush();
    },
  };
  try {
    Bunzip.decode(source, target, true);
    flush();
    return { end: 'complete' };
  } catch (e) {
    if (e instanceof Stop) return { end: 'stopped' };
    try {
      flush();
    } catch (e2) {
      if (e2 instanceof Stop) return { end: 'stopped' };
    }
    return { end: 'error', detail: (e as Error).message };
  }
};
