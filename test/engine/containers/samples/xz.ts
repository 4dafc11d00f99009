/** xz samples: a tar of two members, compressed by 7-Zip. */
import { buildTar, HASHED, sevenZipArchive } from '../samples.js';
import { deriveSampleSet } from './sample-set.js';

export const xzSamples = deriveSampleSet(() => sevenZipArchive('xz', [{ name: 'data.tar', data: buildTar([{ name: 'known.bin', data: HASHED }, { name: 'b.txt', data: Buffer.from('text\n') }]) }]));
