/** OLE2 samples: two streams in the root storage (buildOle2). */
import { HASHED } from '../samples.js';
import { buildOle2 } from '../samples-documents.js';
import { deriveSampleSet } from './sample-set.js';

export const ole2Samples = deriveSampleSet(() => buildOle2([{ name: 'payload.bin', data: HASHED }, { name: 'other.txt', data: Buffer.from('nothing here') }]));
