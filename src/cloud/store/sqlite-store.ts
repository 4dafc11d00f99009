/**
 * The embedded store: one better-sqlite3 connection in WAL mode with synchronous=FULL, so a write
 * that returned survives a kill -9 (and a power cut). better-sqlite3 is synchronous, but callers
 * are async and may await between statements of a transaction; every operation therefore goes
 * through one queue, so a transaction never interleaves with anything else on the connection.
 *
 * Querying the store (not the transaction's handle) inside a transaction would wait for itself
 * forever. Under tests (VITEST) or with VIGIL_STORE_CHECKS=1 such a call is refused at once with
 * STORE_NESTED; the check follows async context with AsyncLocalStorage, which on Node 20 puts a
 * hook on every promise the process makes (a tenth of a look-up's CPU under load), so production
 * runs without it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { chmodSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { StoreError, type Queryable, type SqlValue, type Store } from './store.js';

export function openSqliteStore(file: string): Store {
  // Accounts and audit records are the vendor's: the folder and file are readable by their owner only
  // (SQLite gives its -wal and -shm files the database file's permissions).
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  let db: Database.Database;
  try {
    db = new Database(file);
    chmodSync(file, 0o600);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
  } catch (e) {
    throw new StoreError('STORE_OPEN', `cannot open SQLite store ${file}: ${(e as Error).message}`, { cause: e });
  }
  return new SqliteStore(db, file);
}

function nestingChecks(): boolean {
  return process.env.VITEST !== undefined || process.env.VIGIL_STORE_CHECKS === '1';
}

class SqliteStore implements Store {
  readonly dialect = 'sqlite' as const;
  readonly description: string;
  private readonly statements = new Map<string, Database.Statement>();
  private queue: Promise<unknown> = Promise.resolve();
  /** Operations queued or running. */
  private pending = 0;
  private readonly inTransaction: AsyncLocalStorage<true> | null = nestingChecks() ? new AsyncLocalStorage<true>() : null;
  private closed = false;
  private readonly direct: Queryable;

  constructor(
    private readonly db: Database.Database,
    file: string,
  ) {
    this.description = `sqlite:${file}`;
    this.direct = {
      dialect: 'sqlite',
      all: async <T>(sql: string, params: readonly SqlValue[] = []) => this.prepare(sql).all(...params) as T[],
      get: async <T>(sql: string, params: readonly SqlValue[] = []) => this.prepare(sql).get(...params) as T | undefined,
      run: async (sql: string, params: readonly SqlValue[] = []) => ({ changes: this.prepare(sql).run(...params).changes }),
    };
  }

  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    return this.idle() ? this.now(() => this.prepare(sql).all(...(params ?? [])) as T[]) : this.serialise(() => this.direct.all<T>(sql, params));
  }
  get<T>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined> {
    return this.idle() ? this.now(() => this.prepare(sql).get(...(params ?? [])) as T | undefined) : this.serialise(() => this.direct.get<T>(sql, params));
  }
  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }> {
    return this.idle() ? this.now(() => ({ changes: this.prepare(sql).run(...(params ?? [])).changes })) : this.serialise(() => this.direct.run(sql, params));
  }

  /**
   * Nothing queued or running: a single statement may run at once, in the caller's turn, which is
   * the order the queue would give it (the common case for a look-up under load: no promise chain).
   * No transaction can be open then, so no nesting check is needed either.
   */
  private idle(): boolean {
    return this.pending === 0 && !this.closed && !this.db.inTransaction;
  }

  private now<T>(op: () => T): Promise<T> {
    // The executor runs op at once; what it throws becomes the rejection.
    return new Promise<T>((resolve) => {
      resolve(op());
    });
  }

  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.serialise(async () => {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await (this.inTransaction ? this.inTransaction.run(true, () => work(this.direct)) : work(this.direct));
        this.db.exec('COMMIT');
        return result;
      } catch (e) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw e;
      }
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.serialise(async () => undefined);
    this.closed = true;
    this.db.close();
  }

  private prepare(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private serialise<T>(op: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new StoreError('STORE_CLOSED', 'the store is closed'));
    if (this.inTransaction?.getStore()) {
      return Promise.reject(new StoreError('STORE_NESTED', 'inside a transaction, query through its handle, not the store'));
    }
    this.pending++;
    const next = this.queue.then(op, op);
    const settle = (): void => {
      this.pending--;
    };
    this.queue = next.then(settle, settle);
    return next;
  }
}
