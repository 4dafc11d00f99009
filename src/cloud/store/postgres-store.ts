/**
 * The production store: a pg connection pool. Our SQL uses `?` placeholders; they are numbered
 * here. BIGINT columns come back as JavaScript numbers (every count and sequence we keep stays far
 * below 2^53).
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { StoreError, type Queryable, type SqlValue, type Store } from './store.js';

pg.types.setTypeParser(pg.types.builtins.INT8, (text) => Number(text));

/**
 * Our SQL as PostgreSQL takes it: `?` numbered, and a statement name so that each connection plans
 * a query once and then reuses the plan (unnamed statements are planned on every call; the token
 * check alone cost several times more that way). The set of distinct statements is small and fixed.
 */
const prepared = new Map<string, { name: string; text: string }>();

function toPostgresQuery(sql: string): { name: string; text: string } {
  let out = prepared.get(sql);
  if (out === undefined) {
    let n = 0;
    out = { name: `vigil_${createHash('sha256').update(sql).digest('hex').slice(0, 24)}`, text: sql.replace(/\?/g, () => `$${++n}`) };
    prepared.set(sql, out);
  }
  return out;
}

function queryableOn(client: pg.Pool | pg.PoolClient): Queryable {
  const query = (sql: string, params: readonly SqlValue[] = []) => client.query({ ...toPostgresQuery(sql), values: params as SqlValue[] });
  return {
    dialect: 'postgres',
    all: async <T>(sql: string, params?: readonly SqlValue[]) => (await query(sql, params)).rows as T[],
    get: async <T>(sql: string, params?: readonly SqlValue[]) => (await query(sql, params)).rows[0] as T | undefined,
    run: async (sql: string, params?: readonly SqlValue[]) => ({ changes: (await query(sql, params)).rowCount ?? 0 }),
  };
}

export async function openPostgresStore(url: string, options: { maxConnections?: number } = {}): Promise<Store> {
  const pool = new pg.Pool({ connectionString: url, max: options.maxConnections ?? 10 });
  // A connection that fails while idle must not take the process down; the next query reports it.
  pool.on('error', () => undefined);
  try {
    const client = await pool.connect();
    client.release();
  } catch (e) {
    await pool.end().catch(() => undefined);
    throw new StoreError('STORE_OPEN', `cannot connect to PostgreSQL ${redact(url)}: ${(e as Error).message}`, { cause: e });
  }
  const direct = queryableOn(pool);
  let closed = false;
  return {
    ...direct,
    description: redact(url),
    async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
      if (closed) throw new StoreError('STORE_CLOSED', 'the store is closed');
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await work(queryableOn(client));
        await client.query('COMMIT');
        return result;
      } catch (e) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw e;
      } finally {
        client.release();
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}

/** The URL without its password, for logs. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}
