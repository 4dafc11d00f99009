/** Unix compress (.Z) samples, and the small LZW writer single-streams.test.ts uses. */
import { deriveSampleSet } from './sample-set.js';

/**
 * Unix compress (.Z): 1F 9D, flags (block mode, 16-bit codes at most), then LZW codes written low
 * bit first. Only 9-bit codes are written, so the input must need fewer than 250 of them (short).
 */
export function compressZ(data: Uint8Array): Buffer {
  const dict = new Map<number, number>();
  let next = 257;
  const codes: number[] = [];
  let w = data[0]!;
  for (let i = 1; i < data.length; i++) {
    const c = data[i]!;
    const known = dict.get(w * 256 + c);
    if (known !== undefined) {
      w = known;
      continue;
    }
    codes.push(w);
    dict.set(w * 256 + c, next++);
    w = c;
  }
  codes.push(w);
  if (codes.length >= 250) throw new Error('input too long for 9-bit codes');
  const out = [0x1f, 0x9d, 0x90];
  let acc = 0;
  let bits = 0;
  for (const code of codes) {
    acc |= code << bits;
    bits += 9;
    while (bits >= 8) {
      out.push(acc & 0xff);
      acc >>>= 8;
      bits -= 8;
    }
  }
  if (bits > 0) out.push(acc & 0xff);
  return Buffer.from(out);
}

export const zSamples = deriveSampleSet(() => compressZ(Buffer.from('known text, then more text: known text again, and text\n')));
