/** 7z samples: two files, made by 7-Zip itself. */
import { HASHED, sevenZipArchive } from '../samples.js';
import { deriveSampleSet } from './sample-set.js';

export const sevenZipSamples = deriveSampleSet(() => sevenZipArchive('7z', [{ name: 'known.bin', data: HASHED }, { name: 'b.txt', data: Buffer.from('text\n') }]));
