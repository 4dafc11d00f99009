import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { readMetadataFile, TUF_ROLES } from '../../../src/cloud/updates/index.js';
import { describeStores, openTestStore } from '../harness.js';
import { checkInclusion, checkRepository } from './repository-check.js';
import { compileRelease, openRepository } from './update-fixtures.js';

const HOUR = 3_600_000;

describeStores('update repository: key rotation and freshness', (kind) => {
  it('rotates the root keys: the new root is signed by the old and the new thresholds, and logged', async () => {
    const { store, location } = await openTestStore(kind);
    const repo = openRepository(store, location.dataDir);
    await repo.publish(compileRelease(1), 'test');
    const before = await checkRepository(store, new Date());
    const oldRootKeys = before.roots[0]!.signed.roles.root!.keyIDs;
    const rotated = await repo.rotate('root', 'test');
    expect(rotated.rootVersion).toBe(2);
    const after = await checkRepository(store, new Date()); // walks 1 -> 2: old threshold and new threshold
    const root2 = after.roots[1]!;
    expect(root2.signed.roles.root!.keyIDs).toEqual(rotated.keyIds);
    expect(root2.signed.roles.root!.keyIDs.some((id) => oldRootKeys.includes(id))).toBe(false);
    // Signed by all six: three old keys (old threshold 2) and three new (new threshold 2).
    expect(Object.keys(root2.signatures).sort()).toEqual([...oldRootKeys, ...rotated.keyIds].sort());
    // The other roles keep their keys; their metadata is re-signed under the new root.
    for (const role of ['targets', 'snapshot', 'timestamp'] as const) expect(root2.signed.roles[role]!.keyIDs).toEqual(before.roots[0]!.signed.roles[role]!.keyIDs);
    expect(after.targets.signed.version).toBe(before.targets.signed.version + 1);
    // The log holds root 1, release 1, root 2.
    const text = (await readMetadataFile(store, '2.root.json'))!.data;
    await checkInclusion(store, after.checkpoint, 2, { kind: 'root', version: 2, sha256: createHash('sha256').update(text).digest('hex'), length: text.length });
    // Old root key files stay (they may sign nothing new, but an operator decides when to destroy them); the store marks them retired.
    const retired = await store.all<{ key_id: string }>("SELECT key_id FROM update_keys WHERE role = 'root' AND retired_at IS NOT NULL ORDER BY key_id");
    expect(retired.map((r) => r.key_id)).toEqual([...oldRootKeys].sort());
    // A release after the rotation verifies as before.
    await repo.publish(compileRelease(2), 'test');
    expect((await checkRepository(store, new Date())).checkpoint.size).toBe(4);
  });

  it('rotates each other role: a new root names the new key, and the role is re-signed with it', async () => {
    const { store, location } = await openTestStore(kind);
    const repo = openRepository(store, location.dataDir);
    await repo.publish(compileRelease(1), 'test');
    let version = 1;
    for (const role of ['targets', 'snapshot', 'timestamp'] as const) {
      const before = await checkRepository(store, new Date());
      const old = before.roots.at(-1)!.signed.roles[role]!.keyIDs;
      const { rootVersion, keyIds } = await repo.rotate(role, 'test');
      expect(rootVersion).toBe(++version);
      const after = await checkRepository(store, new Date());
      expect(after.roots.at(-1)!.signed.roles[role]!.keyIDs).toEqual(keyIds);
      expect(keyIds).not.toEqual(old);
      // The root's own keys did not change, so the old root's threshold signs the new one alone.
      expect(after.roots.at(-1)!.signed.roles.root!.keyIDs).toEqual(before.roots.at(-1)!.signed.roles.root!.keyIDs);
      expect(Object.keys(after[role].signatures)).toEqual(keyIds);
    }
    expect(TUF_ROLES).toContain('root');
    const entries = await store.all<{ kind: string }>('SELECT kind FROM update_log_entries ORDER BY idx');
    expect(entries.map((e) => e.kind)).toEqual(['root', 'release', 'root', 'root', 'root']);
  });

  it('refuses to rotate when a key the new root needs is not in this data folder, and changes nothing', async () => {
    const { store, location } = await openTestStore(kind);
    const repo = openRepository(store, location.dataDir);
    await repo.publish(compileRelease(1), 'test');
    const other = openRepository(store, join(location.dataDir, 'elsewhere'));
    await expect(other.rotate('targets', 'test')).rejects.toMatchObject({ code: 'KEY_MISSING' });
    expect(await readMetadataFile(store, '2.root.json')).toBeUndefined();
    expect(existsSync(join(location.dataDir, 'keys', 'updates'))).toBe(true);
  });

  it('refreshes the timestamp, and renews snapshot and targets before they expire', async () => {
    const { store, location } = await openTestStore(kind);
    const clock = { now: new Date('2026-03-01T00:00:00Z') };
    const repo = openRepository(store, location.dataDir, {}, () => clock.now);
    await repo.publish(compileRelease(1), 'test');
    clock.now = new Date(clock.now.getTime() + 20 * HOUR);
    const first = await repo.refreshTimestamp('test');
    expect(first.renewed).toEqual(['timestamp']);
    expect(first.expires).toBe('2026-03-02T20:00:00Z');
    await checkRepository(store, clock.now);
    clock.now = new Date('2026-03-06T12:00:00Z'); // the snapshot (7 days) expires within two timestamp lifetimes
    expect((await repo.refreshTimestamp('test')).renewed).toEqual(['snapshot', 'timestamp']);
    await checkRepository(store, clock.now);
    clock.now = new Date('2026-03-30T00:00:00Z'); // targets (30 days) too
    expect((await repo.refreshTimestamp('test')).renewed).toEqual(['targets', 'snapshot', 'timestamp']);
    await checkRepository(store, clock.now);
    clock.now = new Date('2027-02-27T00:00:00Z'); // and the root (365 days): a new root version, in the log
    expect((await repo.refreshTimestamp('test')).renewed).toEqual(['root', 'targets', 'snapshot', 'timestamp']);
    const checked = await checkRepository(store, clock.now);
    expect(checked.roots).toHaveLength(2);
  });
});
