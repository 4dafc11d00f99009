/**
 * The SQLite store's one queue: statements and transactions run in the order they were asked for,
 * a statement asked for while the queue is idle runs at once, a transaction's uncommitted writes
 * are never seen by statements outside it, and a store call inside a transaction is refused
 * (under tests the nesting check is on) instead of waiting for itself forever.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../../src/cloud/store/sqlite-store.js';
import type { Store } from '../../../src/cloud/store/store.js';

describe('SQLite store queue', () => {
  let dir: string;
  let store: Store;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-sqlite-store-'));
    store = openSqliteStore(join(dir, 'test.sqlite'));
    await store.run('CREATE TABLE t (n INTEGER NOT NULL)');
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('never shows a statement outside a transaction its uncommitted writes', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const tx = store.transaction(async (q) => {
      await q.run('INSERT INTO t (n) VALUES (1)');
      await held;
      await q.run('INSERT INTO t (n) VALUES (2)');
    });
    // Asked for while the transaction is open: it waits, and then sees both rows or none.
    const during = store.all<{ n: number }>('SELECT n FROM t ORDER BY n');
    release();
    await tx;
    expect((await during).map((r) => r.n)).toEqual([1, 2]);
  });

  it('runs statements in the order they were asked for, whether the queue was idle or busy', async () => {
    const order: number[] = [];
    const ops: Promise<unknown>[] = [];
    for (let i = 0; i < 50; i++) {
      ops.push(i % 10 === 3 ? store.transaction((q) => q.run('INSERT INTO t (n) VALUES (?)', [i])) : store.run('INSERT INTO t (n) VALUES (?)', [i]));
      void ops[i]!.then(() => order.push(i));
    }
    await Promise.all(ops);
    const rows = await store.all<{ n: number }>('SELECT n FROM t ORDER BY rowid');
    expect(rows.map((r) => r.n)).toEqual([...Array(50).keys()]);
  });

  it('answers a bad statement on an idle store with a rejected promise, not a throw', async () => {
    const p = store.all('SELECT * FROM no_such_table');
    await expect(p).rejects.toThrow(/no such table/);
    // and the store still works
    await store.run('INSERT INTO t (n) VALUES (7)');
    expect(await store.get<{ n: number }>('SELECT n FROM t')).toEqual({ n: 7 });
  });

  it('refuses a store call made inside a transaction instead of waiting forever', async () => {
    await expect(store.transaction(async () => store.all('SELECT n FROM t'))).rejects.toMatchObject({ code: 'STORE_NESTED' });
    // the refused transaction rolled back and the queue moves on
    await store.run('INSERT INTO t (n) VALUES (1)');
    expect(await store.all('SELECT n FROM t')).toHaveLength(1);
  });

  it('refuses calls after close', async () => {
    await store.close();
    await expect(store.all('SELECT 1')).rejects.toMatchObject({ code: 'STORE_CLOSED' });
    store = openSqliteStore(join(dir, 'test.sqlite'));
  });
});
