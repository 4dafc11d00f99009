/**
 * Shared setup of the security network tests: a cloud with a catalog and a CIDR table, customers
 * with a license, activated machines that speak with their `Activation` credential, and events.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { parseCidrCountryCsv, replaceGeoRanges, sortAndCheckRanges, type CloudConfig } from '../../src/cloud/index.js';
import { addCustomer, startCloud, type StoreKind, type TestCloud } from './harness.js';

/** Addresses by country, as the CIDR table below places them. */
export const IP = { DE: '203.0.113.77', FR: '198.51.100.23', US: '192.0.2.200', DE6: '2001:db8:de::1234' } as const;
const GEO = 'cidr,country\n203.0.113.0/24,DE\n198.51.100.0/24,FR\n192.0.2.0/24,US\n2001:db8:de::/48,DE\n';

export interface Machine {
  activationId: string;
  secret: string;
  tenantId: string;
  ip: string;
  request(method: string, url: string, body?: unknown, ip?: string): Promise<LightMyRequestResponse>;
}

export interface NetworkCloud extends TestCloud {
  /** A machine of a new customer (country of residence `country`), calling from `ip`. */
  machine(options: { country: string | null; ip: string; entitlements?: string[]; name?: string }): Promise<Machine>;
  /** Another machine on the same license as `m`. */
  sibling(m: Machine, ip?: string): Promise<Machine>;
  count(table: string): Promise<number>;
}

export async function startNetworkCloud(kind: StoreKind, config: Partial<CloudConfig> = {}, start?: Date): Promise<NetworkCloud> {
  const cloud = await startCloud(kind, { rateLimitMax: 100_000, ...config }, start);
  const ranges = sortAndCheckRanges(parseCidrCountryCsv(GEO, 'test.csv'));
  await cloud.store.transaction((tx) => replaceGeoRanges(tx, ranges, 'test', { name: 'test', now: cloud.now.value }));
  const product = (await cloud.request('POST', '/v1/products', { body: { name: 'Vigil Endpoint' } })).json<{ id: string }>();
  const plans = new Map<string, string>();
  const planFor = async (entitlements: string[]) => {
    const key = entitlements.join(',');
    if (!plans.has(key)) {
      const plan = (await cloud.request('POST', '/v1/plans', { body: { product_id: product.id, name: `plan ${key || 'none'}`, duration_days: 365, seats: 50, entitlements } })).json<{ id: string }>();
      plans.set(key, plan.id);
    }
    return plans.get(key)!;
  };
  const keys = new Map<string, { key: string; tenantId: string }>();
  let n = 0;
  const activate = async (key: string, tenantId: string, ip: string): Promise<Machine> => {
    const fingerprint = createHash('sha256').update(`machine ${++n}`).digest('hex');
    const r = await cloud.request('POST', '/v1/activations', { token: null, body: { key, fingerprint, machine_name: `pc-${n}` } });
    if (r.statusCode !== 201) throw new Error(`activation failed: ${r.statusCode} ${r.body}`);
    const { activation_id: activationId, secret } = r.json<{ activation_id: string; secret: string }>();
    keys.set(activationId, { key, tenantId });
    return {
      activationId,
      secret,
      tenantId,
      ip,
      request: (method, url, body, from) =>
        cloud.request(method, url, { token: null, headers: { authorization: `Activation ${activationId}.${secret}` }, ...(body === undefined ? {} : { body }), remoteAddress: from ?? ip }),
    };
  };
  return {
    ...cloud,
    async machine({ country, ip, entitlements = ['network', 'updates'], name }) {
      const customer = await addCustomer(cloud, name ?? `Customer ${n + 1}`, country);
      const order = await cloud.request('POST', '/v1/orders', { body: { plan_id: await planFor(entitlements), tenant_id: customer.tenantId } });
      if (order.statusCode !== 201) throw new Error(`sale failed: ${order.statusCode} ${order.body}`);
      return activate(order.json<{ key: string }>().key, customer.tenantId, ip);
    },
    async sibling(m, ip) {
      const { key, tenantId } = keys.get(m.activationId)!;
      return activate(key, tenantId, ip ?? m.ip);
    },
    async count(table) {
      return (await cloud.store.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`))!.n;
    },
  };
}

export const sha = (label: string) => createHash('sha256').update(label).digest('hex');

/** A hash that starts with `prefix` (the cloud takes any 64 hex digits: no need to find a real preimage). */
export function shaWithPrefix(prefix: string, salt: string): string {
  return prefix + sha(salt).slice(prefix.length);
}

export function detection(sha256: string, name = 'Win.Test.EICAR_HDB-1', seenAt = '2024-06-01T00:00:00Z') {
  return { kind: 'detection', sha256, size: 68, file_type: 'ASCII', detection: name, engine: '0.1.0', database: 'vigil-builtin-1', seen_at: seenAt };
}

export function unknownExecutable(sha256: string, seenAt = '2024-06-01T00:00:00Z') {
  return { kind: 'unknown-executable', sha256, size: 4096, file_type: 'PE', detection: null, engine: '0.1.0', database: 'vigil-builtin-1', seen_at: seenAt };
}

export function batch(events: unknown[], batchId: string = randomUUID()) {
  return { batch_id: batchId, events };
}

export async function consent(m: Machine, categories: string[] = ['detections', 'unknown-executables']) {
  const r = await m.request('PUT', '/v1/network/consent', { enabled: true, categories });
  if (r.statusCode !== 200) throw new Error(`consent failed: ${r.statusCode} ${r.body}`);
}
