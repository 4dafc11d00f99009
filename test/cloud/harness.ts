/**
 * One cloud test suite, two stores: `describeStores` runs the same cases on SQLite (a file in a
 * temporary folder) and on PostgreSQL (a fresh database on the test server), and `startCloud`
 * builds the real Fastify app on a freshly migrated store with a bootstrapped operator, for
 * in-process requests with `inject`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterEach, describe } from 'vitest';
import { buildCloudServer, ensureVendor, openStore, type CloudConfig, type Store } from '../../src/cloud/index.js';
import { freshPostgresDatabase, hasPostgres } from '../helpers/pg.js';

export type StoreKind = 'sqlite' | 'postgres';

export interface OpenedStore {
  store: Store;
  kind: StoreKind;
  /** Where it lives: the SQLite data folder or the PostgreSQL URL. */
  location: { dataDir: string; url?: string };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

export async function openTestStore(kind: StoreKind): Promise<OpenedStore> {
  const dataDir = mkdtempSync(join(tmpdir(), 'vigil-cloud-'));
  cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
  let url: string | undefined;
  if (kind === 'postgres') {
    const db = await freshPostgresDatabase();
    cleanups.push(() => db.drop());
    url = db.url;
  }
  const store = await openStore({ dataDir, url });
  cleanups.push(() => store.close());
  return { store, kind, location: url ? { dataDir, url } : { dataDir } };
}

/** Runs `body` once per store; PostgreSQL cases are skipped (loudly, by vitest) when no server is available. */
export function describeStores(name: string, body: (kind: StoreKind) => void): void {
  describe.each(['sqlite', 'postgres'] as const)(`${name} [%s]`, (kind) => {
    if (kind === 'postgres' && !hasPostgres) {
      describe.skip('PostgreSQL unavailable', () => body(kind));
      return;
    }
    body(kind);
  });
}

export interface TestCloud extends OpenedStore {
  app: FastifyInstance;
  operatorToken: string;
  now: { value: Date };
  request(method: string, url: string, options?: { token?: string | null; body?: unknown; headers?: Record<string, string>; remoteAddress?: string }): Promise<LightMyRequestResponse>;
}

export async function startCloud(kind: StoreKind, config: Partial<CloudConfig> = {}, start = new Date('2024-06-01T00:00:00Z')): Promise<TestCloud> {
  const opened = await openTestStore(kind);
  const now = { value: start };
  const boot = await ensureVendor(opened.store, now.value, 90);
  const app = await buildCloudServer({ store: opened.store, config, now: () => now.value, version: 'test' });
  cleanups.unshift(() => app.close()); // close the app before its store
  const operatorToken = boot.operatorToken!;
  return {
    ...opened,
    app,
    operatorToken,
    now,
    request: (method, url, options = {}) => {
      const token = options.token === undefined ? operatorToken : options.token;
      return app.inject({
        method: method as 'GET',
        url,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...options.headers },
        ...(options.body === undefined ? {} : { payload: options.body as object }),
        ...(options.remoteAddress ? { remoteAddress: options.remoteAddress } : {}),
      });
    },
  };
}

/** Creates a customer tenant with an admin and an endpoint, returning their ids and tokens. */
export async function addCustomer(cloud: TestCloud, name: string, country: string | null) {
  const tenant = (await cloud.request('POST', '/v1/tenants', { body: { name, country } })).json<{ id: string }>();
  const admin = (await cloud.request('POST', `/v1/tenants/${tenant.id}/users`, { body: { name: `${name} admin`, role: 'customer-admin' } })).json<{ id: string }>();
  const adminToken = (await cloud.request('POST', '/v1/tokens', { body: { user_id: admin.id } })).json<{ token: string }>().token;
  const endpoint = (await cloud.request('POST', `/v1/tenants/${tenant.id}/endpoints`, { body: { name: `${name} laptop` } })).json<{ id: string }>();
  const endpointToken = (await cloud.request('POST', '/v1/tokens', { body: { endpoint_id: endpoint.id } })).json<{ token: string }>().token;
  return { tenantId: tenant.id, adminId: admin.id, adminToken, endpointId: endpoint.id, endpointToken };
}
