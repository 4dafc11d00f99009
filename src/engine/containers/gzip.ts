/** gzip (RFC 1952): one compressed stream, whose object takes the container's path. */
import type { ContainerReader } from './container-reader.js';
import { gunzip } from './decoders.js';

/** RFC 1952 2.3.1: ID1 ID2 and CM 8 (deflate), the only method defined. */
const GZIP_MAGIC = [0x1f, 0x8b, 0x08];

export function isGzip(b: Uint8Array): boolean {
  return b.length >= GZIP_MAGIC.length && GZIP_MAGIC.every((x, i) => b[i] === x);
}

/** Nothing is listed: the walk decompresses the one stream within its own limits. */
export const gzipReader: ContainerReader<'gzip'> = {
  name: 'gzip',
  detect: isGzip,
  sniff: isGzip,
  members: (b) => [{ kind: 'compressed', name: null, input: b, decoder: gunzip }],
  limits: [],
};
