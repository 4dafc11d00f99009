// The audit log's chain catches edits made behind the service's back, online (GET /v1/audit/verify)
// and offline (an export checked by `vigil audit log verify`).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { tempDir, vigil } from '../helpers/cli.js';
import { addCustomer, describeStores, startCloud, type TestCloud } from './harness.js';

async function exportTo(cloud: TestCloud, file: string): Promise<string> {
  const r = await cloud.request('GET', '/v1/audit/export');
  expect(r.statusCode).toBe(200);
  expect(r.headers['content-type']).toMatch(/application\/x-ndjson/);
  writeFileSync(file, r.body);
  return r.body;
}

describeStores('audit log', (kind) => {
  it('exports a chain that verifies offline, with the head the service reports', async () => {
    const cloud = await startCloud(kind);
    await addCustomer(cloud, 'Acme', 'US');
    await cloud.request('POST', '/v1/policy/decisions', { body: { action: 'update' } });
    const dir = tempDir();
    try {
      const file = join(dir.path, 'audit.jsonl');
      const body = await exportTo(cloud, file);
      const head = (await cloud.request('GET', '/v1/audit/head')).json<{ seq: number; hash: string }>();
      expect(body.trim().split('\n')).toHaveLength(head.seq);
      const r = vigil(['audit', 'log', 'verify', file, '--expect-head', head.hash, '--expect-count', String(head.seq)]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`OK (${head.seq} records`);
      expect((await cloud.request('GET', '/v1/audit/verify')).json()).toMatchObject({ ok: true, count: head.seq, head: head.hash });
    } finally {
      dir.cleanup();
    }
  });

  it('detects a record edited in the database behind the service\'s back', async () => {
    const cloud = await startCloud(kind);
    const acme = await addCustomer(cloud, 'Acme', 'US');
    // Rewrite history: make the tenant look German in its creation record.
    const row = await cloud.store.get<{ seq: number; data: string }>("SELECT seq, data FROM audit_log WHERE kind = 'tenant.create' AND tenant_id = ?", [acme.tenantId]);
    await cloud.store.run('UPDATE audit_log SET data = ? WHERE seq = ?', [row!.data.replace('"US"', '"DE"'), row!.seq]);

    const online = (await cloud.request('GET', '/v1/audit/verify')).json();
    expect(online).toMatchObject({ ok: false, seq: row!.seq });
    expect(online.reason).toMatch(/hash/i);

    const dir = tempDir();
    try {
      const file = join(dir.path, 'audit.jsonl');
      await exportTo(cloud, file);
      const r = vigil(['audit', 'log', 'verify', file]);
      expect(r.code).toBe(1);
      expect(r.stdout + r.stderr).toContain(`${file}:${row!.seq}: record ${row!.seq}`);
    } finally {
      dir.cleanup();
    }
  });

  it('detects a deleted record and a rewritten tail', async () => {
    const cloud = await startCloud(kind);
    await addCustomer(cloud, 'Acme', 'US');
    const head = (await cloud.request('GET', '/v1/audit/head')).json<{ seq: number }>();
    await cloud.store.run('DELETE FROM audit_log WHERE seq = ?', [3]);
    expect((await cloud.request('GET', '/v1/audit/verify')).json()).toMatchObject({ ok: false, seq: 3 });

    const other = await startCloud(kind);
    await addCustomer(other, 'Acme', 'US');
    const last = (await other.request('GET', '/v1/audit/head')).json<{ seq: number }>();
    await other.store.run('DELETE FROM audit_log WHERE seq = ?', [last.seq]);
    const check = (await other.request('GET', '/v1/audit/verify')).json();
    expect(check.ok).toBe(false);
    expect(check.reason).toMatch(/head/);
    expect(head.seq).toBeGreaterThan(3);
  });
});
