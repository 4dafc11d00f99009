// POST /v1/updates/releases: the operator's API to publish, checked against what
// `vigil cloud release publish` makes of the same sources on another store of the same kind.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, expect, it, onTestFinished, vi } from 'vitest';
import { registerCloudCommand } from '../../../src/cli/cloud-command.js';
import { listAudit } from '../../../src/cloud/audit/audit-log.js';
import { buildCloudServer, DEFAULT_CONFIG, ensureVendor, type Store } from '../../../src/cloud/index.js';
import { sendError } from '../../../src/cloud/http/http-error.js';
import { registerRoute } from '../../../src/cloud/http/route.js';
import type { CloudServices } from '../../../src/cloud/services.js';
import { KeyVault, listReleases, updateRoutes } from '../../../src/cloud/updates/index.js';
import { databaseKind } from '../../../src/engine/signatures/load-sources.js';
import { SOURCE_EXTENSIONS } from '../../../src/cloud/updates/release-upload.js';
import { describeStores, openTestStore, type OpenedStore, type StoreKind } from '../harness.js';
import { checkInclusion, checkRepository } from './repository-check.js';
import { writeSources } from './update-fixtures.js';
import { runInProcess } from '../../helpers/in-process-cli.js';

const apps: FastifyInstance[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

/** The real server, given the update keys (startCloud does not give them). */
async function startSigningCloud(kind: StoreKind) {
  const opened = await openTestStore(kind);
  const boot = await ensureVendor(opened.store, new Date(), 90);
  const app = await buildCloudServer({ store: opened.store, version: 'test', updateKeys: new KeyVault(opened.location.dataDir, undefined) });
  apps.push(app);
  const token = boot.operatorToken!;
  const request = (method: string, url: string, body?: unknown, as: string | null = token) =>
    app.inject({ method: method as 'POST', url, headers: as ? { authorization: `Bearer ${as}` } : {}, ...(body === undefined ? {} : { payload: body as object }) });
  return { ...opened, app, token, vendorTenantId: boot.vendorTenantId, request };
}

/** The upload body for a folder written by writeSources. */
function upload(dir: string, extra: Record<string, unknown> = {}) {
  return { sources: [{ name: 'test.hdb', content_base64: readFileSync(join(dir, 'test.hdb')).toString('base64') }], ...extra };
}

function source(name: string, text: string) {
  return { name, content_base64: Buffer.from(text, 'utf8').toString('base64') };
}

const vigilCloud = (args: string[]) => runInProcess(registerCloudCommand, ['cloud', ...args]);

function storeArgs(opened: OpenedStore): string[] {
  return ['--data', opened.location.dataDir, ...(opened.location.url ? ['--store', opened.location.url] : [])];
}

/** What two repositories must share when the same sources were published the same way. */
async function summary(store: Store) {
  const checked = await checkRepository(store, new Date());
  const releases = await listReleases(store);
  for (const r of releases) await checkInclusion(store, checked.checkpoint, r.logIndex, { kind: 'release', release: r.number, image: { sha256: r.image.sha256, length: r.image.length }, targets_version: r.targetsVersion });
  const audit = await listAudit(store, { limit: 100, kind: 'updates.release.publish' });
  return {
    versions: { root: checked.roots.length, targets: checked.targets.signed.version, snapshot: checked.snapshot.signed.version, timestamp: checked.timestamp.signed.version },
    targets: Object.fromEntries(Object.entries(checked.targets.signed.targets).map(([name, t]) => [name, { length: t.length, sha256: t.hashes.sha256, custom: t.custom }])),
    logSize: checked.checkpoint.size,
    releases: releases.map((r) => ({ number: r.number, image: r.image, targetsVersion: r.targetsVersion, logIndex: r.logIndex, deltas: r.deltas })),
    audit: audit.map((a) => a.data),
  };
}

describeStores('POST /v1/updates/releases', (kind) => {
  it('publishes releases as the CLI does: numbers, targets, metadata versions, log and audit', async () => {
    // Images record their build time in seconds: one frozen clock makes both paths' images identical.
    vi.useFakeTimers({ toFake: ['Date'], now: new Date() });
    onTestFinished(() => {
      vi.useRealTimers();
    });
    const cloud = await startSigningCloud(kind);
    const sources = [writeSources(1), writeSources(2), writeSources(3)];
    const first = await cloud.request('POST', '/v1/updates/releases', upload(sources[0]!));
    expect(first.statusCode, first.body).toBe(201);
    const body = first.json();
    expect(body.release).toMatchObject({ number: 1, targetsVersion: 2, logIndex: 1, deltas: [] });
    expect(body.release.image.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(body.release.image.length).toBeGreaterThan(0);
    expect(body.checkpoint).toMatch(/^vigil\.example\/updates\/log\n2\n/);
    expect(body.warnings).toEqual([]);
    expect((await cloud.request('POST', '/v1/updates/releases', upload(sources[1]!))).statusCode).toBe(201);
    const third = await cloud.request('POST', '/v1/updates/releases', upload(sources[2]!, { keep_deltas: 1 }));
    expect(third.statusCode, third.body).toBe(201);
    expect(third.json().release.deltas.map((d: { from: number }) => d.from)).toEqual([2]);

    const cli = await openTestStore(kind);
    const cwd = process.cwd();
    for (const [i, dir] of sources.entries()) {
      // From the sources' folder, so the image lists its source as the upload's does: `test.hdb`.
      process.chdir(dir);
      try {
        const run = await vigilCloud(['release', 'publish', ...storeArgs(cli), '-d', 'test.hdb', ...(i === 2 ? ['--keep-deltas', '1'] : [])]);
        expect(run.code, run.stdout + run.stderr).toBe(0);
      } finally {
        process.chdir(cwd);
      }
    }
    const viaApi = await summary(cloud.store);
    const viaCli = await summary(cli.store);
    expect(viaApi).toEqual(viaCli);
    expect(viaApi.versions).toEqual({ root: 1, targets: 4, snapshot: 4, timestamp: 4 });
    expect(viaApi.releases.map((r) => r.number)).toEqual([1, 2, 3]);
    // Only the actor differs: the operator's user, not the local account.
    const audit = await listAudit(cloud.store, { limit: 100, kind: 'updates.release.publish' });
    expect(audit.map((a) => a.actor)).toEqual(Array(3).fill(expect.stringMatching(/^user:/)));
    const listed = await cloud.request('GET', '/v1/updates/releases');
    expect(listed.json().releases.map((r: { number: number }) => r.number)).toEqual([1, 2, 3]);
  });

  it('refuses broken sources with file, line and reason, and publishes nothing', async () => {
    const cloud = await startSigningCloud(kind);
    const good = source('a.hdb', `${'0'.repeat(32)}:10:Vigil.Test.Good\n`);
    const broken = await cloud.request('POST', '/v1/updates/releases', { sources: [good, source('main.ndb', 'Vigil.Test.Ok:0:*:6869\nVigil.Test.Bad:0:*:zz12\n')] });
    expect(broken.statusCode).toBe(400);
    const error = broken.json().error;
    expect(error.code).toBe('invalid_request');
    expect(error.message).toMatch(/^1 error\(s\) in the signature sources; nothing was published$/);
    expect(error.problems).toEqual([expect.objectContaining({ file: 'main.ndb', line: 2, code: 'E005' })]);
    expect(error.details).toEqual([{ path: 'body.sources.1', message: expect.stringMatching(/^main\.ndb:2: E005: /) }]);
    expect(JSON.stringify(error)).not.toContain('vigil-release-');

    const refused: [unknown, string][] = [
      [{ sources: [source('../main.ndb', 'x')] }, 'body.sources.0.name'],
      [{ sources: [source('dir/main.ndb', 'x')] }, 'body.sources.0.name'],
      [{ sources: [source('.main.ndb', 'x')] }, 'body.sources.0.name'],
      [{ sources: [source('notes.txt', 'x')] }, 'body.sources.0.name'],
      [{ sources: [source('rules.yar', 'x')] }, 'body.sources.0.name'],
      [{ sources: [good, { ...good, name: 'A.HDB' }] }, 'body.sources.1.name'],
      [{ sources: [{ name: 'a.hdb', content_base64: 'not base64!' }] }, 'body.sources.0.content_base64'],
      [{ sources: [] }, 'body.sources'],
      [{ sources: [good], keep_deltas: -1 }, 'body.keep_deltas'],
      [{ sources: [good], extra: 1 }, 'body.extra'],
    ];
    for (const [body, path] of refused) {
      const answer = await cloud.request('POST', '/v1/updates/releases', body);
      expect(answer.statusCode, JSON.stringify(body)).toBe(400);
      expect(answer.json().error.details.map((d: { path: string }) => d.path)).toContain(path);
    }
    // Nothing was published: no repository, no number used, no audit record.
    expect((await cloud.request('GET', '/v1/updates/metadata/timestamp.json', undefined, null)).statusCode).toBe(404);
    expect(await listReleases(cloud.store)).toEqual([]);
    expect(await listAudit(cloud.store, { limit: 10, kind: 'updates.release.publish' })).toEqual([]);
    expect((await cloud.request('POST', '/v1/updates/releases', { sources: [good] })).json().release.number).toBe(1);
  });

  it('accepts the source types the engine loads, by name', () => {
    for (const ext of SOURCE_EXTENSIONS) expect(databaseKind(`x${ext}`), ext).not.toBeNull();
    for (const ext of SOURCE_EXTENSIONS) expect(['ignored', 'quiet'], ext).not.toContain(databaseKind(`x${ext}`));
  });

  it('is for operators only, and offered only by a server given the update keys', async () => {
    const cloud = await startSigningCloud(kind);
    const body = upload(writeSources(1));
    const auditor = (await cloud.request('POST', `/v1/tenants/${cloud.vendorTenantId}/users`, { name: 'auditor', role: 'auditor' })).json<{ id: string }>();
    const auditorToken = (await cloud.request('POST', '/v1/tokens', { user_id: auditor.id })).json().token as string;
    const tenant = (await cloud.request('POST', '/v1/tenants', { name: 'Customer', country: null })).json<{ id: string }>();
    const admin = (await cloud.request('POST', `/v1/tenants/${tenant.id}/users`, { name: 'admin', role: 'customer-admin' })).json<{ id: string }>();
    const adminToken = (await cloud.request('POST', '/v1/tokens', { user_id: admin.id })).json().token as string;
    expect((await cloud.request('POST', '/v1/updates/releases', body, null)).statusCode).toBe(401);
    expect((await cloud.request('POST', '/v1/updates/releases', body, 'vgl_not_a_token')).statusCode).toBe(401);
    const asAuditor = await cloud.request('POST', '/v1/updates/releases', body, auditorToken);
    expect(asAuditor.statusCode).toBe(403);
    expect(asAuditor.json().error.code).toBe('forbidden');
    expect((await cloud.request('POST', '/v1/updates/releases', body, adminToken)).statusCode).toBe(403);
    expect(await listReleases(cloud.store)).toEqual([]);

    const opened = await openTestStore(kind);
    const boot = await ensureVendor(opened.store, new Date(), 90);
    const keyless = await buildCloudServer({ store: opened.store, version: 'test' });
    apps.push(keyless);
    const answer = await keyless.inject({ method: 'POST', url: '/v1/updates/releases', headers: { authorization: `Bearer ${boot.operatorToken!}` }, payload: body });
    expect(answer.statusCode).toBe(404);
  });

  it('takes bodies past the server-wide limit, up to its own limit (413 beyond, checked after the role)', async () => {
    const cloud = await startSigningCloud(kind);
    // 1.5 MiB of comment lines: over the server's 1 MiB, under the route's 256 MiB.
    const padded = `${'# padding padding padding padding padding padding padding padding\n'.repeat(24_000)}${'1'.repeat(32)}:10:Vigil.Test.Padded\n`;
    expect(padded.length).toBeGreaterThan(1.5 * 1024 * 1024);
    const big = await cloud.request('POST', '/v1/updates/releases', { sources: [source('padded.hdb', padded)] });
    expect(big.statusCode, big.body).toBe(201);
    // Elsewhere the server-wide limit still holds.
    const elsewhere = await cloud.request('POST', '/v1/tenants', { name: 'x'.repeat(1.5 * 1024 * 1024), country: null });
    expect(elsewhere.statusCode).toBe(413);

    // A configured limit (updateRoutes' releaseBodyLimitBytes), on an app whose caller's role the test sets.
    const services = { store: cloud.store, config: DEFAULT_CONFIG, now: () => new Date(), version: 'test' } as unknown as CloudServices;
    const app = Fastify();
    apps.push(app);
    app.decorateRequest('principal', null);
    app.decorateRequest('authFailure', null);
    let role = 'operator';
    app.addHook('onRequest', async (request) => {
      request.principal = { tokenId: 't', tenantId: 'v', tenantKind: 'vendor', tenantCountry: null, role: role as 'operator', userId: 'u1', endpointId: null };
    });
    app.setErrorHandler((error, request, reply) => sendError(error, request, reply));
    for (const route of updateRoutes(services, { vault: new KeyVault(cloud.location.dataDir, undefined), releaseBodyLimitBytes: 64 * 1024 })) registerRoute(app, route);
    await app.ready();
    const small = upload(writeSources(2));
    expect(JSON.stringify(small).length).toBeLessThan(64 * 1024);
    const accepted = await app.inject({ method: 'POST', url: '/v1/updates/releases', payload: small });
    expect(accepted.statusCode, accepted.body).toBe(201);
    expect(accepted.json().release.number).toBe(2);
    const tooLarge = { sources: [source('big.hdb', '#'.repeat(64 * 1024))] };
    const refused = await app.inject({ method: 'POST', url: '/v1/updates/releases', payload: tooLarge });
    expect(refused.statusCode).toBe(413);
    expect(refused.json().error.code).toBe('body_too_large');
    role = 'auditor';
    expect((await app.inject({ method: 'POST', url: '/v1/updates/releases', payload: tooLarge })).statusCode).toBe(403);
    expect((await listReleases(cloud.store)).map((r) => r.number)).toEqual([1, 2]);
  });

  it('numbers concurrent publications without gaps or duplicates', async () => {
    const cloud = await startSigningCloud(kind);
    const bodies = [1, 2, 3, 4, 5].map((n) => upload(writeSources(n)));
    const answers = await Promise.all(bodies.map((b) => cloud.request('POST', '/v1/updates/releases', b)));
    for (const a of answers) expect(a.statusCode, a.body).toBe(201);
    expect(answers.map((a) => a.json().release.number).sort()).toEqual([1, 2, 3, 4, 5]);
    const repo = await summary(cloud.store);
    expect(repo.releases.map((r) => r.number)).toEqual([1, 2, 3, 4, 5]);
    expect(repo.releases.map((r) => r.logIndex)).toEqual([1, 2, 3, 4, 5]);
    expect(repo.versions.targets).toBe(6);
    expect(repo.logSize).toBe(6);
    expect(repo.audit).toHaveLength(5);
  });
});
