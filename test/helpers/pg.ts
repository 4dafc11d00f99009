/**
 * Test helpers for the PostgreSQL side of the store suites: a fresh, empty database for each caller
 * on the server that pg-global-setup.ts provides. Guard suites with `describe.skipIf(!hasPostgres)`.
 * Databases not dropped by their test are dropped after the test file.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, inject } from 'vitest';

export interface PostgresDatabase {
  /** Connection URL of the new database, as the server's superuser. */
  url: string;
  /** Ends every session on the database and drops it; calls after a successful drop do nothing. */
  drop(): Promise<void>;
}

// undefined when a vitest config runs without pg-global-setup.ts.
const adminUrl: string = inject('pgAdminUrl') ?? '';

/** Whether a PostgreSQL server is available to this run. */
export const hasPostgres: boolean = adminUrl !== '';

const undropped = new Set<PostgresDatabase>();
afterAll(async () => {
  await Promise.all([...undropped].map((db) => db.drop()));
});

/** Creates an empty database named `vigil_t_<random>` and returns its URL. */
export async function freshPostgresDatabase(): Promise<PostgresDatabase> {
  if (!hasPostgres) throw new Error('freshPostgresDatabase: no PostgreSQL in this run; guard the suite with describe.skipIf(!hasPostgres)');
  const name = `vigil_t_${randomBytes(8).toString('hex')}`;
  await withAdmin((client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let dropping: Promise<void> | undefined;
  const db: PostgresDatabase = {
    url: url.href,
    drop: () =>
      (dropping ??= (async () => {
        // PostgreSQL 13+: FORCE terminates the database's sessions before dropping it.
        await withAdmin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
        undropped.delete(db);
      })().catch((err: unknown) => {
        dropping = undefined; // a failed drop may be tried again
        throw err;
      })),
  };
  undropped.add(db);
  return db;
}

async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
