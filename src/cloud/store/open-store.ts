/** Opens the store a location names (a PostgreSQL URL, else the SQLite file in the data folder) and migrates it. */
import { join } from 'node:path';
import { migrate } from './migrations.js';
import { openPostgresStore } from './postgres-store.js';
import { openSqliteStore } from './sqlite-store.js';
import type { Store } from './store.js';

export const SQLITE_FILE_NAME = 'vigil.sqlite';

export interface StoreLocation {
  /** The data folder: holds the SQLite file when no URL is given. */
  dataDir: string;
  /** `postgres://` or `postgresql://` URL; when set, the data lives there. */
  url?: string | undefined;
}

export async function openStore(location: StoreLocation): Promise<Store> {
  const store = location.url
    ? await openPostgresStore(location.url)
    : openSqliteStore(join(location.dataDir, SQLITE_FILE_NAME));
  try {
    await migrate(store);
  } catch (e) {
    await store.close();
    throw e;
  }
  return store;
}
