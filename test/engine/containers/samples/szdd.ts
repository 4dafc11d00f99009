/** SZDD samples: a tar of two members, compressed with literals only (buildSzdd). */
import { buildSzdd, buildTar, HASHED } from '../samples.js';
import { deriveSampleSet } from './sample-set.js';

export const szddSamples = deriveSampleSet(() => buildSzdd(buildTar([{ name: 'known.bin', data: HASHED }, { name: 'b.txt', data: Buffer.from('text\n') }])));
