/**
 * The text encodings mail and documents carry files in, as decoders for the tree walk (their output
 * goes through the walk's budgeted buffer, never sized from the input): base64 (RFC 2045 6.8),
 * quoted-printable (RFC 2045 6.7), uuencode (POSIX uuencode(5)) and hexadecimal (RTF `\objdata`).
 * All are lenient as mail readers are: characters outside the alphabet are skipped. Also the MIME
 * header helpers (RFC 5322 2.2 fields, RFC 2045 5.1 Content-Type parameters) mail.ts needs.
 */
import type { DecodeEnd, Decoder, Sink } from './decoders.js';

const CHUNK = 64 * 1024;

/** Collects decoded bytes and hands them to a sink in chunks; `stopped` once the sink refused. */
export class ChunkWriter {
  private buf = new Uint8Array(CHUNK);
  private used = 0;
  stopped = false;

  constructor(private readonly sink: Sink) {}

  /** Adds one byte; false once the sink refused more. */
  put(b: number): boolean {
    this.buf[this.used++] = b;
    return this.used === CHUNK ? this.flush() : !this.stopped;
  }

  flush(): boolean {
    if (this.used > 0 && !this.stopped) {
      const chunk = this.buf.subarray(0, this.used);
      this.buf = new Uint8Array(CHUNK);
      if (!this.sink(chunk)) this.stopped = true;
    }
    this.used = 0;
    return !this.stopped;
  }

  /** Flushes and says how the stream ended (`error` when `problem` is set). */
  end(problem: string | null = null): DecodeEnd {
    if (!this.flush()) return { end: 'stopped' };
    return problem === null ? { end: 'complete' } : { end: 'error', detail: problem };
  }
}

const B64 = (() => {
  const t = new Int8Array(256).fill(-1);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < 64; i++) t[alphabet.charCodeAt(i)] = i;
  // RFC 4648 5: the URL-safe alphabet, seen in data: URIs.
  t[0x2d] = 62;
  t[0x5f] = 63;
  return t;
})();

/** RFC 2045 6.8: base64; characters outside the alphabet are skipped, `=` ends the data. */
export const base64Decode: Decoder = async (input, sink) => {
  const w = new ChunkWriter(sink);
  let acc = 0;
  let bits = 0;
  for (const c of input) {
    if (c === 0x3d) break;
    const v = B64[c]!;
    if (v < 0) continue;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (!w.put((acc >> bits) & 0xff)) return { end: 'stopped' };
    }
  }
  return w.end();
};

export function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** RFC 2045 6.7: `=XX` is a byte, `=` at the end of a line a soft line break, the rest literal. */
export const quotedPrintableDecode: Decoder = async (input, sink) => {
  const w = new ChunkWriter(sink);
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (c !== 0x3d) {
      if (!w.put(c)) return { end: 'stopped' };
      continue;
    }
    const h = hexValue(input[i + 1] ?? -1);
    const l = hexValue(input[i + 2] ?? -1);
    if (h >= 0 && l >= 0) {
      if (!w.put((h << 4) | l)) return { end: 'stopped' };
      i += 2;
    } else if (input[i + 1] === 0x0a) i += 1;
    else if (input[i + 1] === 0x0d && input[i + 2] === 0x0a) i += 2;
    else if (!w.put(c)) return { end: 'stopped' };
  }
  return w.end();
};

/** Pairs of hexadecimal digits, anything else skipped (RTF `\objdata`). `skip` bytes are dropped, then at most `take` emitted. */
export function hexDecoder(skip = 0, take = Infinity): Decoder {
  return async (input, sink) => {
    const w = new ChunkWriter(sink);
    let high = -1;
    let n = 0;
    for (let i = 0; i < input.length && n < skip + take; i++) {
      const v = hexValue(input[i]!);
      if (v < 0) continue;
      if (high < 0) {
        high = v;
        continue;
      }
      if (n++ >= skip && !w.put((high << 4) | v)) return { end: 'stopped' };
      high = -1;
    }
    return w.end(take !== Infinity && n < skip + take ? 'the embedded object is cut short' : null);
  };
}

/**
 * uuencode(5): after the `begin` line, each line is a length character then groups of four
 * characters of 6 bits (each `c - 0x20`, backquote for 0); a line of length 0 then `end` close it.
 */
export const uuDecode: Decoder = async (input, sink) => {
  const w = new ChunkWriter(sink);
  let at = 0;
  while (at < input.length) {
    let eol = input.indexOf(0x0a, at);
    if (eol < 0) eol = input.length;
    let end = eol;
    if (end > at && input[end - 1] === 0x0d) end--;
    const first = input[at];
    if (end === at) {
      at = eol + 1;
      continue;
    }
    if (first === undefined || first < 0x20 || first > 0x60) return w.end('a uuencoded line is malformed');
    const len = (first - 0x20) & 0x3f;
    if (len === 0) return w.end();
    let out = 0;
    for (let i = at + 1; i + 1 < end && out < len; i += 4) {
      const q = [0, 1, 2, 3].map((k) => (i + k < end ? (input[i + k]! - 0x20) & 0x3f : 0));
      const bytes = [(q[0]! << 2) | (q[1]! >> 4), ((q[1]! & 0xf) << 4) | (q[2]! >> 2), ((q[2]! & 0x3) << 6) | q[3]!];
      for (const b of bytes) if (out++ < len && !w.put(b & 0xff)) return { end: 'stopped' };
    }
    at = eol + 1;
  }
  return w.end('the uuencoded block has no end line');
};

/** Longest header value kept (the rest of a longer field is ignored). */
export const MAX_FIELD_VALUE = 8 * 1024;

/** RFC 2045 5.1: `type/subtype; name=value; name="quoted value"` (RFC 2231 `name*=charset''value` read plainly). */
export function parseFieldParams(value: string): { value: string; params: Map<string, string> } {
  const params = new Map<string, string>();
  const semi = value.indexOf(';');
  const main = (semi < 0 ? value : value.slice(0, semi)).trim().toLowerCase();
  const re = /;\s*([^=\s;]+)\s*=\s*("((?:[^"\\]|\\.)*)"|[^;]*)/g;
  for (let m = re.exec(value); m; m = re.exec(value)) {
    let key = m[1]!.toLowerCase();
    let v = m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : m[2]!.trim();
    if (key.endsWith('*')) {
      key = key.replace(/\*(\d+\*?)?$/, '');
      const tick = v.indexOf("''");
      if (tick >= 0) v = decodeURIComponentSafe(v.slice(tick + 2));
    }
    if (!params.has(key)) params.set(key, v);
  }
  return { value: main, params };
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** A member name from a header value: the last path component, printable, at most 255 characters. */
export function cleanName(name: string | undefined): string | null {
  if (!name) return null;
  const base = name.replace(/[\u0000-\u001f]/g, '').split(/[\\/]/).pop()!.trim();
  return base === '' ? null : base.slice(0, 255);
}
