import { createHash } from 'node:crypto';
import { statSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listReleases, UpdateError } from '../../../src/cloud/updates/index.js';
import { applyImageDelta, consistencyProofFromTiles, verifyConsistency, type SignedCheckpoint } from '../../../src/protocol/index.js';
import { describeStores, openTestStore } from '../harness.js';
import { checkInclusion, checkRepository, storeTiles } from './repository-check.js';
import { compileRelease, openRepository } from './update-fixtures.js';

const DAY = 86_400_000;

describeStores('update repository: publishing', (kind) => {
  it('publishes numbered releases with deltas, signed TUF metadata and a log entry each', async () => {
    const { store, location } = await openTestStore(kind);
    const now = new Date('2026-01-10T12:00:00Z');
    const repo = openRepository(store, location.dataDir, { keepDeltas: 2 }, () => now);
    const images = [1, 2, 3, 4].map(compileRelease);
    const checkpoints: SignedCheckpoint[] = [];
    for (const [i, image] of images.entries()) {
      const { release } = await repo.publish(image, 'test');
      expect(release.number).toBe(i + 1);
      expect(release.image.sha256).toBe(createHash('sha256').update(image).digest('hex'));
      expect(release.deltas.map((d) => d.from)).toEqual([i - 1, i].filter((n) => n >= 1));
      checkpoints.push((await checkRepository(store, now)).checkpoint);
    }
    const checked = await checkRepository(store, now);
    // Expiries as configured: timestamp 1 day, snapshot 7, targets 30, root 365 (TUF `expires`, no milliseconds).
    expect(checked.timestamp.signed.expires).toBe('2026-01-11T12:00:00Z');
    expect(checked.snapshot.signed.expires).toBe(new Date(now.getTime() + 7 * DAY).toISOString().replace('.000', ''));
    expect(checked.targets.signed.expires).toBe(new Date(now.getTime() + 30 * DAY).toISOString().replace('.000', ''));
    expect(checked.roots[0]!.signed.expires).toBe(new Date(now.getTime() + 365 * DAY).toISOString().replace('.000', ''));
    // Root: 2 of 3 keys; the other roles one key each.
    expect(checked.roots[0]!.signed.roles.root!.keyIDs).toHaveLength(3);
    expect(checked.roots[0]!.signed.roles.root!.threshold).toBe(2);
    expect(Object.keys(checked.roots[0]!.signatures)).toHaveLength(3);
    // Versions: targets 1 (empty, at creation) then one per release.
    expect(checked.targets.signed.version).toBe(5);
    expect(Object.keys(checked.targets.signed.targets).sort()).toEqual(['vigil-1.vigildb', 'vigil-2-to-4.vigildelta', 'vigil-2.vigildb', 'vigil-3-to-4.vigildelta', 'vigil-3.vigildb', 'vigil-4.vigildb']);
    expect(checked.targets.signed.targets['vigil-3-to-4.vigildelta']!.custom).toEqual({ vigil: { kind: 'delta', release: 4, from: 3 } });
    // Each delta rebuilds the newest image from its base.
    const releases = await listReleases(store);
    expect(releases.map((r) => r.number)).toEqual([1, 2, 3, 4]);
    for (const d of releases[3]!.deltas) {
      const { readTargetFile } = await import('../../../src/cloud/updates/index.js');
      const delta = (await readTargetFile(store, `${d.sha256}.${d.name}`))!.data;
      expect(Buffer.from(applyImageDelta(images[d.from - 1]!, delta))).toEqual(Buffer.from(images[3]!));
      expect(delta.length).toBeLessThan(images[3]!.length);
    }
    // The log: root 1, then one leaf per release, each included in the newest checkpoint.
    expect(checked.checkpoint.size).toBe(5);
    // Its checkpoint carries the time of the publication, cosigned by the log's clock.
    expect(checked.checkpointTime.toISOString()).toBe(now.toISOString());
    await checkInclusion(store, checked.checkpoint, 0, { kind: 'root', version: 1, sha256: createHash('sha256').update((await import('../../../src/cloud/updates/index.js').then((m) => m.readMetadataFile(store, '1.root.json')))!.data).digest('hex'), length: (await import('../../../src/cloud/updates/index.js').then((m) => m.readMetadataFile(store, '1.root.json')))!.data.length });
    for (const r of releases) {
      expect(r.logIndex).toBe(r.number);
      await checkInclusion(store, checked.checkpoint, r.logIndex, { kind: 'release', release: r.number, image: { sha256: r.image.sha256, length: r.image.length }, targets_version: r.targetsVersion });
    }
    // Each checkpoint is consistent with the next (RFC 9162 2.1.4.2).
    for (let i = 1; i < checkpoints.length; i++) {
      const [a, b] = [checkpoints[i - 1]!, checkpoints[i]!];
      verifyConsistency(a.size, b.size, await consistencyProofFromTiles(a.size, b.size, storeTiles(store)), a.rootHash, b.rootHash);
    }
    // Private keys: one file per key, owner-only.
    const keyDir = join(location.dataDir, 'keys', 'updates');
    const keyFiles = readdirSync(keyDir);
    expect(keyFiles).toHaveLength(3 + 3 + 2); // root, targets, snapshot, timestamp; log and its clock
    for (const f of keyFiles) expect(statSync(join(keyDir, f)).mode & 0o777).toBe(0o600);
  });

  it('refuses an image that is not a compiled database, and publishes nothing', async () => {
    const { store, location } = await openTestStore(kind);
    const repo = openRepository(store, location.dataDir);
    await expect(repo.publish(new TextEncoder().encode('not an image'), 'test')).rejects.toMatchObject({ code: 'BAD_SOURCES' });
    expect(await listReleases(store)).toEqual([]);
    await expect(repo.refreshTimestamp('test')).rejects.toBeInstanceOf(UpdateError);
    const small = openRepository(store, location.dataDir, { maxImageBytes: 1000 });
    await expect(small.publish(compileRelease(1), 'test')).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
    expect(await listReleases(store)).toEqual([]);
  });

  it('numbers concurrent publications without gaps or duplicates', async () => {
    const { store, location } = await openTestStore(kind);
    const repos = [0, 1, 2].map(() => openRepository(store, location.dataDir, { keepDeltas: 1 }));
    const images = [1, 2, 3, 4, 5, 6].map(compileRelease);
    const results = await Promise.all(images.map((image, i) => repos[i % 3]!.publish(image, 'test')));
    expect(results.map((r) => r.release.number).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6]);
    const checked = await checkRepository(store, new Date());
    expect(checked.checkpoint.size).toBe(7);
    expect(checked.targets.signed.version).toBe(7);
  });
});

describe('update repository: settings', () => {
  it('refuses a root threshold above the number of root keys', async () => {
    const { store, location } = await openTestStore('sqlite');
    expect(() => openRepository(store, location.dataDir, { rootKeys: 2, rootThreshold: 3 })).toThrow(/threshold/);
  });
});
