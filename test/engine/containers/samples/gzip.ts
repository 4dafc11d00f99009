/** gzip samples: a tar of two members, gzipped. */
import { buildTar, gzip, HASHED } from '../samples.js';
import { deriveSampleSet } from './sample-set.js';

export const gzipSamples = deriveSampleSet(() => gzip(buildTar([{ name: 'known.bin', data: HASHED }, { name: 'b.txt', data: Buffer.from('text\n') }])));
