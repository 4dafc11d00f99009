/** An mbox of two messages with attachments. */
import { mbox } from '../samples-mail.js';
import { twoAttachments } from './mail.js';
import { derivedSet } from './sample-set.js';

export const mboxSamples = derivedSet(() => mbox([twoAttachments(), twoAttachments()]));
