/** HTML samples: two base64 `data:` URIs (buildHtmlData). */
import { HASHED } from '../samples.js';
import { buildHtmlData } from '../samples-mail.js';
import { deriveSampleSet } from './sample-set.js';

export const htmlDataSamples = deriveSampleSet(() => buildHtmlData([HASHED, Buffer.from('text\n')]));
