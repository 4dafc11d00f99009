/**
 * The production store: a pg connection pool. Our SQL uses `?` placeholders; they are numbered
 * here. BIGINT columns come back as JavaScript numbers (every count and sequence we keep stays far
 * below 2^53).
 */
import pg from 'pg';
import { StoreError, type Queryable, type SqlValue, type Store } from './store.js';

pg.types.setTypeParser(pg.types.builtins.INT8, (text) => Number(text));

const numbered = new Map<string, string>();

function toPostgresSql(sql: string): string {
  let out = numbered.get(sql);
  if (out === undefined) {
    let n = 0;
    out = sql.replace(/\?/g, () => `$${++n}`);
    numbered.set(sql, out);
  }
  return out;
}

function queryableOn(client: pg.Pool | pg.PoolClient): Queryable {
  const query = (sql: string, params: readonly SqlValue[] = []) => client.query(toPostgresSql(sql), params as SqlValue[]);
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
