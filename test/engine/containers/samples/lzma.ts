/** LZMA-alone samples (no magic: found by a strict header check), made by the xz tool. */
import { spawnSync } from 'node:child_process';
import { buildTar, HASHED } from '../samples.js';
import { deriveSampleSet, scramble } from './sample-set.js';

/** LZMA-alone, from the xz tool (`--format=lzma`). */
export function lzmaAlone(data: Uint8Array): Buffer {
  const r = spawnSync('xz', ['--format=lzma', '-c'], { input: data });
  if (r.status !== 0) throw new Error(`xz failed: ${r.stderr.toString()}`);
  return r.stdout;
}

/** The 13-byte header is kept whole in the damaged samples, so the bytes are still taken for LZMA-alone. */
export const lzmaSamples = deriveSampleSet(() => lzmaAlone(buildTar([{ name: 'known.bin', data: HASHED }, { name: 'b.txt', data: Buffer.from('text\n') }])), {
  corrupt: (b) => scramble(b, 20, 40),
});
