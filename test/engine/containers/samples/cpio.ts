/** cpio samples: newc with two members. */
import { buildCpio, HASHED } from '../samples.js';
import { deriveSampleSet } from './sample-set.js';

export const cpioSamples = deriveSampleSet(() => buildCpio('newc', [{ name: 'known.bin', data: HASHED }, { name: 'b.txt', data: Buffer.from('text\n') }]));
