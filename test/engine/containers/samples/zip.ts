/** ZIP samples: a deflated and a stored entry; the corrupted one has its central directory overwritten. */
import { buildZip, HASHED } from '../samples.js';
import { deriveSampleSet, scramble } from './sample-set.js';

export const zipSamples = deriveSampleSet(() => buildZip([{ name: 'known.bin', data: HASHED }, { name: 'b.txt', data: Buffer.from('text\n'), method: 0 }]), {
  corrupt: (b) => scramble(b, b.length - 60, 40),
});
