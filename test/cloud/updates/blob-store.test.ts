// Images and deltas in the store: cut into chunk rows, read back whole, and refused when a row is damaged.
import { createHash, randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import { BLOB_CHUNK_BYTES, getBlob, putBlob } from '../../../src/cloud/updates/blob-store.js';
import { describeStores, openTestStore } from '../harness.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describeStores('update blobs', (kind) => {
  it('stores a blob larger than two chunks in chunk rows and reads it back byte for byte', async () => {
    const { store } = await openTestStore(kind);
    const data = randomBytes(2 * BLOB_CHUNK_BYTES + 12345);
    const digest = await store.transaction((tx) => putBlob(tx, data));
    expect(digest).toBe(sha(data));
    const row = await store.get<{ chunks: number; data: string }>('SELECT chunks, data FROM update_blobs WHERE sha256 = ?', [digest]);
    expect(row).toEqual({ chunks: 3, data: '' });
    const chunks = await store.all<{ seq: number }>('SELECT seq FROM update_blob_chunks WHERE sha256 = ? ORDER BY seq', [digest]);
    expect(chunks.map((c) => c.seq)).toEqual([0, 1, 2]);
    expect((await getBlob(store, digest))!.equals(data)).toBe(true);
    // Stored once: a second put adds no rows.
    await store.transaction((tx) => putBlob(tx, data));
    expect((await store.all('SELECT seq FROM update_blob_chunks WHERE sha256 = ?', [digest])).length).toBe(3);
  }, 60_000);

  it('stores an empty blob and a small one', async () => {
    const { store } = await openTestStore(kind);
    for (const data of [Buffer.alloc(0), Buffer.from('a small delta')]) {
      const digest = await store.transaction((tx) => putBlob(tx, data));
      expect((await getBlob(store, digest))!.equals(data)).toBe(true);
    }
    expect(await getBlob(store, sha(Buffer.from('never stored')))).toBeUndefined();
  });

  it('still reads a blob written before chunks (its bytes in update_blobs.data)', async () => {
    const { store } = await openTestStore(kind);
    const data = Buffer.from('written by migration 5');
    await store.run('INSERT INTO update_blobs (sha256, length, data) VALUES (?, ?, ?)', [sha(data), data.length, data.toString('base64')]);
    expect((await getBlob(store, sha(data)))!.equals(data)).toBe(true);
  });

  it('refuses a blob whose chunk is missing, altered, or longer than the blob', async () => {
    const { store } = await openTestStore(kind);
    const data = randomBytes(BLOB_CHUNK_BYTES + 100);
    const digest = await store.transaction((tx) => putBlob(tx, data));
    const second = await store.get<{ data: string }>('SELECT data FROM update_blob_chunks WHERE sha256 = ? AND seq = 1', [digest]);
    const flipped = Buffer.from(second!.data, 'base64');
    flipped[0] = flipped[0]! ^ 1;
    await store.run('UPDATE update_blob_chunks SET data = ? WHERE sha256 = ? AND seq = 1', [flipped.toString('base64'), digest]);
    await expect(getBlob(store, digest)).rejects.toThrow(/damaged in the store: its bytes do not hash/);
    await store.run('UPDATE update_blob_chunks SET data = ? WHERE sha256 = ? AND seq = 1', [Buffer.alloc(200).toString('base64'), digest]);
    await expect(getBlob(store, digest)).rejects.toThrow(/chunk 1 runs past/);
    await store.run('DELETE FROM update_blob_chunks WHERE sha256 = ? AND seq = 1', [digest]);
    await expect(getBlob(store, digest)).rejects.toThrow(/chunk 1 of 2 is missing/);
    await store.run('UPDATE update_blobs SET chunks = 5 WHERE sha256 = ?', [digest]);
    await expect(getBlob(store, digest)).rejects.toThrow(/5 chunks cannot hold/);
  }, 60_000);
});
