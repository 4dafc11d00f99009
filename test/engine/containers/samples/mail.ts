/** One MIME message with two attachments, base64 and quoted-printable. */
import { HASHED } from '../samples.js';
import { message, multipart, partText } from '../samples-mail.js';
import { deriveSampleSet } from './sample-set.js';

export function buildTwoAttachments(): Buffer {
  return message(multipart([
    partText({ type: 'application/octet-stream', filename: 'known.bin', encoding: 'base64', data: HASHED }),
    partText({ type: 'text/plain', filename: 'b.txt', encoding: 'quoted-printable', data: Buffer.from('text\n') }),
  ], 'BOUNDARY-1'));
}

export const mailSamples = deriveSampleSet(buildTwoAttachments);
