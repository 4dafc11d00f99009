/**
 * The one interface both stores implement. SQL is written once, portable between SQLite and
 * PostgreSQL, with `?` placeholders (the PostgreSQL store numbers them); no string literal in our
 * SQL contains a `?`. Values are text, integers and null only: instants are ISO 8601 UTC text,
 * booleans are 0/1, JSON is text. That keeps one schema and one set of queries for both.
 */
import { VigilError } from '../../protocol/index.js';

export type Dialect = 'sqlite' | 'postgres';

export type SqlValue = string | number | null;

export interface Queryable {
  readonly dialect: Dialect;
  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  get<T>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }>;
}

export interface Store extends Queryable {
  /** Where the data lives, without secrets (for logs and the start banner). */
  readonly description: string;
  /**
   * Runs `work` in one transaction: all of it commits or none of it does. Inside, use only the
   * handle passed in. On SQLite transactions are serialised; on PostgreSQL they run concurrently
   * at READ COMMITTED, so code that needs a row to stay put locks it with `forUpdate(tx)`.
   */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** ` FOR UPDATE` where the dialect has row locks (SQLite's write transactions are already exclusive). */
export function forUpdate(q: Queryable): string {
  return q.dialect === 'postgres' ? ' FOR UPDATE' : '';
}

/**
 * Serialises transactions that take the same lock: a PostgreSQL advisory lock held to the end of
 * the transaction (several processes may share one database). SQLite's write transactions are
 * exclusive already.
 */
export async function lockTransaction(q: Queryable, key: number): Promise<void> {
  if (q.dialect === 'postgres') await q.run(`SELECT pg_advisory_xact_lock(${Math.trunc(key)})`);
}

/** Fixed advisory lock keys. */
export const LOCK_MIGRATIONS = 7_315_001;
export const LOCK_BOOTSTRAP = 7_315_002;

export class StoreError extends VigilError {
  constructor(
    readonly code: 'STORE_OPEN' | 'STORE_MIGRATION' | 'STORE_NESTED' | 'STORE_CLOSED' | 'STORE_VERSION',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StoreError';
  }
}
