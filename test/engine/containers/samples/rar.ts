/** RAR 4 samples: two stored members (buildRar4). */
import { buildRar4, HASHED } from '../samples.js';
import { deriveSampleSet } from './sample-set.js';

export const rarSamples = deriveSampleSet(() => buildRar4([{ name: 'known.bin', data: HASHED }, { name: 'b.txt', data: Buffer.from('text\n') }]));
