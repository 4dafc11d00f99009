/** bzip2: one compressed stream, whose object takes the container's path. */
import type { ContainerReader } from './container-reader.js';
import { bunzip2 } from './decoders.js';

/** "BZh", then the block size as a digit 1-9. */
const BZIP2_MAGIC = [0x42, 0x5a, 0x68];
/** What follows the level: a block (the digits of pi) or the end of the stream (those of sqrt pi). */
const BZIP2_BLOCK = [0x31, 0x41, 0x59, 0x26, 0x53, 0x59];
const BZIP2_END = [0x17, 0x72, 0x45, 0x38, 0x50, 0x90];

function startsWith(b: Uint8Array, bytes: number[], at = 0): boolean {
  return b.length >= at + bytes.length && bytes.every((x, i) => b[at + i] === x);
}

export function isBzip2(b: Uint8Array): boolean {
  return startsWith(b, BZIP2_MAGIC) && b.length >= 10 && b[3]! >= 0x31 && b[3]! <= 0x39
    && (startsWith(b, BZIP2_BLOCK, 4) || startsWith(b, BZIP2_END, 4));
}

/** From the head, "BZh" is enough. Nothing is listed: the walk decompresses the one stream within its own limits. */
export const bzip2Reader: ContainerReader<'bzip2'> = {
  name: 'bzip2',
  detect: isBzip2,
  sniff: (head) => startsWith(head, BZIP2_MAGIC),
  members: (b) => [{ kind: 'compressed', name: null, input: b, decoder: bunzip2 }],
  limits: [],
};
