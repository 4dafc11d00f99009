/** The u32 little-endian words of base and target ranges, and the delta filter over them (OPS with filter s > 0). */

/** Delta filter of stride s over u32 words (forward: differences; inverse: sums), in place. */
export function deltaFilter(words: Uint32Array, stride: number, inverse: boolean): void {
  if (inverse) for (let k = stride; k < words.length; k++) words[k] = (words[k]! + words[k - stride]!) >>> 0;
  else for (let k = words.length - 1; k >= stride; k--) words[k] = (words[k]! - words[k - stride]!) >>> 0;
}

/** u32 LE words of bytes (length a multiple of 4), independent of the platform's byte order. */
export function wordsOf(bytes: Uint8Array): Uint32Array {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Uint32Array(bytes.length >>> 2);
  for (let k = 0; k < out.length; k++) out[k] = v.getUint32(k * 4, true);
  return out;
}

export function putWords(words: Uint32Array, into: Uint8Array): void {
  const v = new DataView(into.buffer, into.byteOffset, into.byteLength);
  for (let k = 0; k < words.length; k++) v.setUint32(k * 4, words[k]!, true);
}
