/**
 * A vendor cloud for the agent's licensing tests: the in-process cloud of test/cloud/harness.ts
 * (its clock injectable), listening on a real port of 127.0.0.1 so that the agent and the built
 * `vigil` reach it over HTTP, with a product, a plan and one license sold to a customer.
 */
import type { AddressInfo } from 'node:net';
import type { CloudConfig } from '../../src/cloud/index.js';
import { startCloud, type TestCloud } from '../cloud/harness.js';

export interface LicenseCloud {
  cloud: TestCloud;
  /** http://127.0.0.1:PORT */
  url: string;
  /** An operator token that never expires (the bootstrap one lasts 90 days of the cloud's clock). */
  operator: string;
  tenantId: string;
  licenseId: string;
  key: string;
  /** Operator requests that fail the test unless they get `status`. */
  call<T = Record<string, unknown>>(method: string, path: string, body?: unknown, status?: number): Promise<T>;
}

export interface LicenseCloudOptions {
  country?: string | null;
  seats?: number;
  durationDays?: number;
  config?: Partial<CloudConfig>;
  /** The cloud's clock when the license is sold (default: now). */
  soldAt?: Date;
}

export async function startLicenseCloud(options: LicenseCloudOptions = {}): Promise<LicenseCloud> {
  const cloud = await startCloud('sqlite', options.config ?? {}, options.soldAt ?? new Date());
  await cloud.app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(cloud.app.server.address() as AddressInfo).port}`;
  const userId = (await cloud.request('GET', '/v1/me')).json<{ user_id: string }>().user_id;
  const minted = await cloud.request('POST', '/v1/tokens', { body: { user_id: userId, expires_in_days: 0 } });
  if (minted.statusCode !== 201) throw new Error(`cannot mint an operator token: ${minted.body}`);
  const operator = minted.json<{ token: string }>().token;
  const call = async <T,>(method: string, path: string, body?: unknown, status = 200): Promise<T> => {
    const r = await cloud.request(method, path, { token: operator, ...(body === undefined ? {} : { body }) });
    if (r.statusCode !== status) throw new Error(`${method} ${path}: expected ${status}, got ${r.statusCode}: ${r.body}`);
    return r.json<T>();
  };
  const product = await call<{ id: string }>('POST', '/v1/products', { name: 'Vigil Endpoint' }, 201);
  const plan = await call<{ id: string }>('POST', '/v1/plans', {
    product_id: product.id,
    name: 'Business',
    duration_days: options.durationDays ?? 365,
    seats: options.seats ?? 3,
    entitlements: ['updates', 'network'],
    grace_days: 14,
  }, 201);
  const tenant = await call<{ id: string }>('POST', '/v1/tenants', { name: 'Acme', country: options.country === undefined ? 'FR' : options.country }, 201);
  const order = await call<{ license: { id: string }; key: string }>('POST', '/v1/orders', { plan_id: plan.id, tenant_id: tenant.id }, 201);
  return { cloud, url, operator, tenantId: tenant.id, licenseId: order.license.id, key: order.key, call };
}

/** Audit records of one kind (operator view). */
export async function auditKinds(c: LicenseCloud, kind: string): Promise<{ kind: string; data: Record<string, unknown> }[]> {
  return (await c.call<{ records: { kind: string; data: Record<string, unknown> }[] }>('GET', `/v1/audit/records?kind=${encodeURIComponent(kind)}&limit=1000`)).records;
}
