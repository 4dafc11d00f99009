import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { freshPostgresDatabase, hasPostgres } from '../helpers/pg.js';

describe.skipIf(!hasPostgres)('PostgreSQL test harness', () => {
  it('creates a fresh database that holds data, then drops it even with a session open', async () => {
    const db = await freshPostgresDatabase();
    const name = new URL(db.url).pathname.slice(1);
    expect(name).toMatch(/^vigil_t_[0-9a-f]{16}$/);

    const client = new pg.Client({ connectionString: db.url });
    client.on('error', () => undefined); // DROP ... WITH (FORCE) ends this session
    await client.connect();
    await client.query('CREATE TABLE sample (id integer PRIMARY KEY, name text NOT NULL)');
    await client.query('INSERT INTO sample (id, name) VALUES ($1, $2)', [1, 'eicar']);
    const { rows } = await client.query<{ id: number; name: string }>('SELECT id, name FROM sample');
    expect(rows).toEqual([{ id: 1, name: 'eicar' }]);

    await db.drop();
    await client.end().catch(() => undefined);

    const admin = new pg.Client({ connectionString: inject('pgAdminUrl') });
    await admin.connect();
    try {
      const left = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      expect(left.rowCount).toBe(0);
    } finally {
      await admin.end();
    }
  });
});
