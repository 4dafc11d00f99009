import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Fastify from 'fastify';
import { Updater } from 'tuf-js';
import { expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../src/cloud/index.js';
import { sendError } from '../../../src/cloud/http/http-error.js';
import { registerRoute } from '../../../src/cloud/http/route.js';
import type { CloudServices } from '../../../src/cloud/services.js';
import { KeyVault, updateRoutes } from '../../../src/cloud/updates/index.js';
import { describeStores, startCloud } from '../harness.js';
import { checkRepository } from './repository-check.js';
import { compileRelease, openRepository, tempDir } from './update-fixtures.js';

describeStores('update repository over HTTP', (kind) => {
  it('serves metadata, targets, checkpoint and tiles publicly, with cache headers', async () => {
    const cloud = await startCloud(kind);
    const empty = await cloud.request('GET', '/v1/updates/metadata/timestamp.json', { token: null });
    expect(empty.statusCode).toBe(404);
    const repo = openRepository(cloud.store, cloud.location.dataDir);
    await repo.publish(compileRelease(1), 'test');
    await repo.publish(compileRelease(2), 'test');
    const checked = await checkRepository(cloud.store, new Date());

    const ts = await cloud.request('GET', '/v1/updates/metadata/timestamp.json', { token: null });
    expect(ts.statusCode).toBe(200);
    expect(ts.headers['content-type']).toMatch(/^application\/json/);
    expect(ts.headers['cache-control']).toBe('public, max-age=30');
    expect(ts.json().signed.version).toBe(checked.timestamp.signed.version);
    const again = await cloud.request('GET', '/v1/updates/metadata/timestamp.json', { token: null, headers: { 'if-none-match': ts.headers.etag! } });
    expect(again.statusCode).toBe(304);

    const root = await cloud.request('GET', '/v1/updates/metadata/1.root.json', { token: null });
    expect(root.statusCode).toBe(200);
    expect(root.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const targets = await cloud.request('GET', `/v1/updates/metadata/${checked.targets.signed.version}.targets.json`, { token: null });
    expect(targets.statusCode).toBe(200);

    const [name, info] = Object.entries(checked.targets.signed.targets).find(([n]) => n.endsWith('.vigildb'))!;
    const target = await cloud.request('GET', `/v1/updates/targets/${info.hashes.sha256!}.${name}`, { token: null });
    expect(target.statusCode).toBe(200);
    expect(target.rawPayload.length).toBe(info.length);
    expect((await cloud.request('GET', `/v1/updates/targets/${'0'.repeat(64)}.${name}`, { token: null })).statusCode).toBe(404);
    expect((await cloud.request('GET', `/v1/updates/targets/${name}`, { token: null })).statusCode).toBe(404);

    const checkpoint = await cloud.request('GET', '/v1/updates/log/checkpoint', { token: null });
    expect(checkpoint.statusCode).toBe(200);
    expect(checkpoint.body).toBe(checked.checkpoint.note);
    const tile = await cloud.request('GET', `/v1/updates/log/tile/0/000.p/${checked.checkpoint.size}`, { token: null });
    expect(tile.statusCode).toBe(200);
    expect(tile.rawPayload.length).toBe(32 * checked.checkpoint.size);
    expect(tile.headers['cache-control']).toContain('immutable');
    expect((await cloud.request('GET', `/v1/updates/log/tile/entries/000.p/${checked.checkpoint.size}`, { token: null })).statusCode).toBe(200);
    expect((await cloud.request('GET', '/v1/updates/log/tile/0/0000', { token: null })).statusCode).toBe(404);
    expect((await cloud.request('GET', '/v1/updates/metadata/..%2F..%2Fvigil.sqlite', { token: null })).statusCode).toBe(404);

    const list = await cloud.request('GET', '/v1/updates/releases');
    expect(list.statusCode).toBe(200);
    expect(list.json().releases.map((r: { number: number }) => r.number)).toEqual([1, 2]);
    expect((await cloud.request('GET', '/v1/updates/releases', { token: null })).statusCode).toBe(401);
    // This server was not given the update keys: it offers no signing routes.
    expect((await cloud.request('POST', '/v1/updates/timestamp')).statusCode).toBe(404);
  });

  it('serves a repository that tuf-js updates from over a real socket', async () => {
    const cloud = await startCloud(kind);
    const repo = openRepository(cloud.store, cloud.location.dataDir);
    await repo.publish(compileRelease(1), 'test');
    await repo.rotate('timestamp', 'test');
    await repo.publish(compileRelease(2), 'test');
    const base = await cloud.app.listen({ host: '127.0.0.1', port: 0 });
    const client = tempDir();
    mkdirSync(join(client, 'metadata'));
    writeFileSync(join(client, 'metadata', 'root.json'), (await cloud.request('GET', '/v1/updates/metadata/1.root.json', { token: null })).rawPayload);
    const updater = new Updater({ metadataDir: join(client, 'metadata'), metadataBaseUrl: `${base}/v1/updates/metadata`, targetDir: client, targetBaseUrl: `${base}/v1/updates/targets` });
    await updater.refresh();
    const info = await updater.getTargetInfo('vigil-2.vigildb');
    expect(info?.custom).toEqual({ vigil: { kind: 'image', release: 2 } });
    await updater.downloadTarget(info!, join(client, 'vigil-2.vigildb'));
    expect(statSync(join(client, 'vigil-2.vigildb')).size).toBe(info!.length);
  });

  it('refreshes the timestamp and rotates keys for operators, in a process given the keys', async () => {
    const cloud = await startCloud(kind);
    const repo = openRepository(cloud.store, cloud.location.dataDir);
    await repo.publish(compileRelease(1), 'test');
    const services = { store: cloud.store, config: DEFAULT_CONFIG, now: () => new Date(), version: 'test' } as unknown as CloudServices;
    const app = Fastify();
    app.decorateRequest('principal', null);
    app.decorateRequest('authFailure', null);
    let role = 'operator';
    app.addHook('onRequest', async (request) => {
      request.principal = { tokenId: 't', tenantId: 'v', tenantKind: 'vendor', tenantCountry: null, role: role as 'operator', userId: 'u1', endpointId: null };
    });
    app.setErrorHandler((error, request, reply) => sendError(error, request, reply));
    for (const route of updateRoutes(services, { vault: new KeyVault(cloud.location.dataDir, undefined) })) registerRoute(app, route);
    await app.ready();
    try {
      const refreshed = await app.inject({ method: 'POST', url: '/v1/updates/timestamp' });
      expect(refreshed.statusCode).toBe(200);
      expect(refreshed.json().renewed).toEqual(['timestamp']);
      const rotated = await app.inject({ method: 'POST', url: '/v1/updates/keys/snapshot/rotate' });
      expect(rotated.statusCode).toBe(200);
      expect(rotated.json().rootVersion).toBe(2);
      expect((await app.inject({ method: 'POST', url: '/v1/updates/keys/log/rotate' })).statusCode).toBe(400);
      await checkRepository(cloud.store, new Date());
      role = 'auditor';
      expect((await app.inject({ method: 'POST', url: '/v1/updates/timestamp' })).statusCode).toBe(403);
    } finally {
      await app.close();
    }
  });
});
