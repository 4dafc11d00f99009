/**
 * The decoders of compiled AutoIt entries (autoit.ts): stored bytes decrypted, or decrypted and
 * then inflated from EA05/EA06's LZSS stream.
 *
 * Compressed data starts with "EA05"/"EA06" and the uncompressed size (32-bit big-endian), then an
 * LZSS bit stream read most significant bit first from 16-bit big-endian words: a flag bit chooses a
 * literal (8 bits) or a match (a 15-bit distance back, then a length in growing fields of 2, 3, 5
 * and 8 bits, each all-ones meaning "more follows", plus 3); EA06 inverts the flag bit's meaning.
 * Output goes to the sink in chunks; nothing is sized from a length in the file (a 32 KiB window
 * holds what a match may copy), and decompression stops at the size the stream declares.
 */
import type { AutoItFormat } from './autoit-cipher.js';
import type { DecodeEnd, Decoder, Sink } from './decoders.js';

/** Output handed to the sink at a time. */
const OUTPUT_CHUNK = 64 * 1024;
/** History a match may reach back into (its distance has 15 bits). */
const WINDOW = 0x8000;

/** Collects output into chunks for the sink; false once the sink refuses. */
class Output {
  private chunk = new Uint8Array(OUTPUT_CHUNK);
  private used = 0;
  refused = false;

  constructor(private readonly sink: Sink) {}

  put(v: number): boolean {
    this.chunk[this.used++] = v;
    return this.used < OUTPUT_CHUNK || this.flush();
  }

  flush(): boolean {
    if (this.used === 0 || this.refused) return !this.refused;
    const out = this.chunk.subarray(0, this.used);
    this.chunk = new Uint8Array(OUTPUT_CHUNK);
    this.used = 0;
    if (!this.sink(out)) this.refused = true;
    return !this.refused;
  }
}

/** An uncompressed entry: the stored bytes, decrypted. */
export function decryptDecoder(f: AutoItFormat, seed: number): Decoder {
  return async (input, sink) => {
    const ks = f.keystream(seed);
    const out = new Output(sink);
    for (const b of input) if (!out.put(b ^ ks.next())) return { end: 'stopped' };
    return out.flush() ? { end: 'complete' } : { end: 'stopped' };
  };
}

class Cut extends Error {}

/** A compressed entry: decrypted as it is read, then the LZSS stream inflated up to its declared size. */
export function lzssDecoder(f: AutoItFormat, seed: number): Decoder {
  return async (input, sink): Promise<DecodeEnd> => {
    const ks = f.keystream(seed);
    let pos = 0;
    const byte = (): number => {
      if (pos >= input.length) throw new Cut();
      return input[pos++]! ^ ks.next();
    };
    const head = input.length >= 8 ? Array.from({ length: 8 }, byte) : null;
    if (head?.[0] !== 0x45 || head[1] !== 0x41 || head[2] !== 0x30 || head[3] !== 0x30 + Number(f.version[1])) {
      return { end: 'error', detail: `no EA${f.version} compressed stream header` };
    }
    let size = ((head[4]! << 24) | (head[5]! << 16) | (head[6]! << 8) | head[7]!) >>> 0;
    // A zero size: ClamAV takes the stored size instead.
    if (size === 0) size = input.length;

    let word = 0;
    let bits = 0;
    const take = (n: number): number => {
      let v = 0;
      for (let i = 0; i < n; i++) {
        if (bits === 0) {
          // Whole 16-bit words only: an odd last byte is never read.
          if (pos + 2 > input.length) throw new Cut();
          word = (byte() << 8) | byte();
          bits = 16;
        }
        bits--;
        v = (v << 1) | ((word >>> bits) & 1);
      }
      return v;
    };

    const history = new Uint8Array(WINDOW);
    const out = new Output(sink);
    let produced = 0;
    const emit = (v: number): boolean => {
      history[produced & (WINDOW - 1)] = v;
      produced++;
      return out.put(v);
    };
    try {
      while (produced < size) {
        if (take(1) === f.literalBit) {
          if (!emit(take(8))) return { end: 'stopped' };
          continue;
        }
        const distance = take(15);
        let length = take(2);
        let extra = 0;
        if (length === 3) {
          extra = 3;
          length = take(3);
          if (length === 7) {
            extra = 10;
            length = take(5);
            if (length === 31) {
              extra = 41;
              length = take(8);
              if (length === 255) {
                extra = 296;
                // Each further all-ones byte adds 255; the output size bounds how many count.
                while ((length = take(8)) === 255) {
                  extra += 255;
                  if (extra > size) break;
                }
              }
            }
          }
        }
        length += 3 + extra;
        if (distance === 0 || distance > produced) {
          out.flush();
          return { end: 'error', detail: `a match reaches ${distance} bytes back from ${produced}` };
        }
        if (produced + length > size) {
          out.flush();
          return { end: 'error', detail: `a match runs past the declared size (${size} bytes)` };
        }
        for (let i = 0; i < length; i++) {
          if (!emit(history[(produced - distance) & (WINDOW - 1)]!)) return { end: 'stopped' };
        }
      }
    } catch (e) {
      if (!(e instanceof Cut)) throw e;
      return out.flush() ? { end: 'error', detail: `the compressed stream ends after ${produced} of ${size} bytes` } : { end: 'stopped' };
    }
    return out.flush() ? { end: 'complete' } : { end: 'stopped' };
  };
}
