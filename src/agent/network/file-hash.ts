/** SHA-256 of a file, read in chunks (FIPS 180-4 through node:crypto). */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

const CHUNK_BYTES = 256 * 1024;

/**
 * The file's SHA-256 in lowercase hex, or undefined when it cannot be read or its size is no longer
 * `expectedSize` (it changed since it was scanned: its verdict is not about these bytes).
 */
export async function hashFile(path: string, expectedSize: number): Promise<string | undefined> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch {
    return undefined;
  }
  try {
    if ((await fh.stat()).size !== expectedSize) return undefined;
    const hash = createHash('sha256');
    const buf = Buffer.allocUnsafe(CHUNK_BYTES);
    let total = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, total);
      if (bytesRead === 0) break;
      hash.update(buf.subarray(0, bytesRead));
      total += bytesRead;
      if (total > expectedSize) return undefined;
    }
    return total === expectedSize ? hash.digest('hex') : undefined;
  } catch {
    return undefined;
  } finally {
    await fh.close();
  }
}
