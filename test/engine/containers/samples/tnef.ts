/** TNEF samples: two attachments (buildTnef). */
import { HASHED } from '../samples.js';
import { buildTnef } from '../samples-mail.js';
import { deriveSampleSet } from './sample-set.js';

export const tnefSamples = deriveSampleSet(() => buildTnef([{ title: 'known.bin', data: HASHED }, { title: 'b.txt', data: Buffer.from('text\n') }]));
