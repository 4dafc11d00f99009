/**
 * The transparency log's resources (checkpoint, tiles, entry bundles) in the store, by path, as
 * base64 text. Used inside the repository's transactions, which hold the update lock: one writer
 * at a time, so the log cannot fork (protocol/tlog/log.ts leaves that to the store).
 */
import type { TlogStorage } from '../../protocol/index.js';
import type { Queryable } from '../store/index.js';

export class StoreTlogStorage implements TlogStorage {
  constructor(private readonly q: Queryable) {}

  async read(path: string): Promise<Uint8Array | undefined> {
    const row = await this.q.get<{ data: string }>('SELECT data FROM update_tlog WHERE path = ?', [path]);
    return row ? new Uint8Array(Buffer.from(row.data, 'base64')) : undefined;
  }

  async write(path: string, data: Uint8Array): Promise<void> {
    const text = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
    const changed = await this.q.run('UPDATE update_tlog SET data = ? WHERE path = ?', [text, path]);
    if (changed.changes === 0) await this.q.run('INSERT INTO update_tlog (path, data) VALUES (?, ?)', [path, text]);
  }
}
