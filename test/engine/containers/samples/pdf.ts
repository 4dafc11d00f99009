/** PDF samples: a Flate stream and an ASCIIHex one (buildPdf). */
import { HASHED } from '../samples.js';
import { buildPdf } from '../samples-documents.js';
import { deriveSampleSet } from './sample-set.js';

export const pdfSamples = deriveSampleSet(() => buildPdf([{ data: HASHED, filters: ['FlateDecode'] }, { data: Buffer.from('text\n'), filters: ['ASCIIHexDecode'] }]));
