/** tar samples: two ustar members; the corrupted one has its second header's checksum field overwritten. */
import { buildTar, HASHED } from '../samples.js';
import { deriveSampleSet, scramble } from './sample-set.js';

export const tarSamples = deriveSampleSet(() => buildTar([{ name: 'a/known.bin', data: HASHED }, { name: 'b.txt', data: Buffer.from('text\n') }]), {
  corrupt: (b) => scramble(b, 1024 + 148, 8),
});
