/**
 * Content-addressed bytes in the store (images and deltas): one row per SHA-256, kept as base64
 * text since the stores hold text, integers and null only. Rows are never changed.
 */
import { createHash } from 'node:crypto';
import type { Queryable } from '../store/store.js';

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Stores `data` under its SHA-256 (once) and returns the digest. */
export async function putBlob(tx: Queryable, data: Uint8Array): Promise<string> {
  const sha256 = sha256Hex(data);
  const known = await tx.get<{ sha256: string }>('SELECT sha256 FROM update_blobs WHERE sha256 = ?', [sha256]);
  if (!known) await tx.run('INSERT INTO update_blobs (sha256, length, data) VALUES (?, ?, ?)', [sha256, data.length, Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64')]);
  return sha256;
}

/** The bytes stored under `sha256`, checked against it; undefined when there are none. */
export async function getBlob(q: Queryable, sha256: string): Promise<Buffer | undefined> {
  const row = await q.get<{ data: string }>('SELECT data FROM update_blobs WHERE sha256 = ?', [sha256]);
  if (!row) return undefined;
  const data = Buffer.from(row.data, 'base64');
  if (sha256Hex(data) !== sha256) throw new Error(`update blob ${sha256} is damaged in the store`);
  return data;
}
