/**
 * Content-addressed bytes in the store (images and deltas), under their SHA-256. The stores hold
 * text, integers and null only, so bytes are base64 text, cut into rows of BLOB_CHUNK_BYTES
 * (`update_blob_chunks`, in order of `seq`): one value never grows past what a JavaScript string
 * or a PostgreSQL text value can hold, whatever the image's size. `update_blobs` keeps one row per
 * blob with its length and number of chunks (rows written before chunks existed hold their bytes
 * in `data` and 0 chunks; they are still read). Rows are never changed.
 */
import { createHash } from 'node:crypto';
import type { Queryable } from '../store/index.js';

/** Bytes per chunk row (22.4 MB of base64 text). */
export const BLOB_CHUNK_BYTES = 16 * 1024 * 1024;

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Stores `data` under its SHA-256 (once) and returns the digest. */
export async function putBlob(tx: Queryable, data: Uint8Array): Promise<string> {
  const sha256 = sha256Hex(data);
  const known = await tx.get<{ sha256: string }>('SELECT sha256 FROM update_blobs WHERE sha256 = ?', [sha256]);
  if (known) return sha256;
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const chunks = Math.ceil(bytes.length / BLOB_CHUNK_BYTES);
  await tx.run('INSERT INTO update_blobs (sha256, length, data, chunks) VALUES (?, ?, ?, ?)', [sha256, bytes.length, '', chunks]);
  for (let seq = 0; seq < chunks; seq++) {
    const part = bytes.subarray(seq * BLOB_CHUNK_BYTES, (seq + 1) * BLOB_CHUNK_BYTES);
    await tx.run('INSERT INTO update_blob_chunks (sha256, seq, data) VALUES (?, ?, ?)', [sha256, seq, part.toString('base64')]);
  }
  return sha256;
}

/** The bytes stored under `sha256`, checked against it; undefined when there are none. */
export async function getBlob(q: Queryable, sha256: string): Promise<Buffer | undefined> {
  const row = await q.get<{ length: number | string; data: string; chunks: number }>('SELECT length, data, chunks FROM update_blobs WHERE sha256 = ?', [sha256]);
  if (!row) return undefined;
  const damaged = (why: string) => new Error(`update blob ${sha256} is damaged in the store: ${why}`);
  let data: Buffer;
  if (row.chunks === 0) {
    data = Buffer.from(row.data, 'base64');
  } else {
    const length = Number(row.length);
    if (!Number.isSafeInteger(length) || length < 0 || Math.ceil(length / BLOB_CHUNK_BYTES) !== row.chunks) throw damaged(`${row.chunks} chunks cannot hold ${row.length} bytes`);
    data = Buffer.allocUnsafe(length);
    let at = 0;
    for (let seq = 0; seq < row.chunks; seq++) {
      // One chunk at a time: the base64 of the whole blob is never held.
      const chunk = await q.get<{ data: string }>('SELECT data FROM update_blob_chunks WHERE sha256 = ? AND seq = ?', [sha256, seq]);
      if (!chunk) throw damaged(`chunk ${seq} of ${row.chunks} is missing`);
      const part = Buffer.from(chunk.data, 'base64');
      if (at + part.length > length) throw damaged(`chunk ${seq} runs past ${length} bytes`);
      part.copy(data, at);
      at += part.length;
    }
    if (at !== length) throw damaged(`the chunks hold ${at} bytes, not ${length}`);
  }
  if (sha256Hex(data) !== sha256) throw damaged('its bytes do not hash to its name');
  return data;
}
