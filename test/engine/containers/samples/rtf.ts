/** RTF samples: two embedded objects, a Packager file and a raw one (buildRtfObject). */
import { HASHED } from '../samples.js';
import { buildRtfObject } from '../samples-mail.js';
import { deriveSampleSet } from './sample-set.js';

export const rtfSamples = deriveSampleSet(() => {
  const packaged = buildRtfObject('known.bin', HASHED);
  const raw = buildRtfObject('b.txt', Buffer.from('text\n'), 'Word.Document.8');
  // The second document's object appended inside the first's group: one RTF holding two objects.
  return Buffer.concat([packaged.subarray(0, packaged.lastIndexOf('}')), raw.subarray(raw.indexOf('{\\object')), Buffer.from('}\r\n')]);
});
