/** BinHex 4.0 samples: a tar of two members as the data fork (buildBinHex). */
import { buildTar, HASHED } from '../samples.js';
import { buildBinHex } from '../samples-mail.js';
import { deriveSampleSet } from './sample-set.js';

export const binHexSamples = deriveSampleSet(() => buildBinHex('files.tar', buildTar([{ name: 'known.bin', data: HASHED }, { name: 'b.txt', data: Buffer.from('text\n') }])));
