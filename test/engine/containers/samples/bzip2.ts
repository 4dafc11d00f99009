/** bzip2 samples: a tar of two members, compressed by 7-Zip (which writes bzip2). */
import { buildTar, HASHED, sevenZipArchive } from '../samples.js';
import { deriveSampleSet } from './sample-set.js';

export const bzip2Samples = deriveSampleSet(() => sevenZipArchive('bzip2', [{ name: 'data.tar', data: buildTar([{ name: 'known.bin', data: HASHED }, { name: 'b.txt', data: Buffer.from('text\n') }]) }]));
