/** An mbox of two messages with attachments. */
import { mbox } from '../samples-mail.js';
import { buildTwoAttachments } from './mail.js';
import { deriveSampleSet } from './sample-set.js';

export const mboxSamples = deriveSampleSet(() => mbox([buildTwoAttachments(), buildTwoAttachments()]));
