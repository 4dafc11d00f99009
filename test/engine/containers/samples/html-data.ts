/** HTML samples: two base64 `data:` URIs (buildHtmlData). */
import { HASHED } from '../samples.js';
import { buildHtmlData } from '../samples-mail.js';
import { derivedSet } from './sample-set.js';

export const htmlDataSamples = derivedSet(() => buildHtmlData([HASHED, Buffer.from('text\n')]));
