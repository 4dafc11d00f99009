// The attacks of issue 6 item 5, each on a repository published with the real publisher and then
// tampered with as an attacker who controls the mirror (or holds a retired key) would. Every one
// must be refused with a clear code, and the database installed before must stay.
import { appendFileSync, cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Metadata, MetadataKind } from '@tufjs/models';
import { describe, expect, it } from 'vitest';
import { KeyVault } from '../../../src/cloud/updates/index.js';
import { tufSigner } from '../../../src/cloud/updates/key-vault.js';
import { openDatabase } from '../../../src/engine/index.js';
import { forkPublisher, installedOne, newAgent, openPublisher, tempDir, type Agent } from './update-fixtures.js';

const DAY = 86_400_000;

async function refused(agent: Agent, repo: string, code: string, kept: string, extra = {}) {
  const failure = await agent.update(repo, extra).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(failure, `expected ${code}`).toMatchObject({ name: 'UpdateClientError', code });
  expect(agent.installed()).toBe(kept);
  expect(openDatabase([agent.dbDir], { cacheDir: false }).db.info().hashSignatures).toBeGreaterThan(0);
  return failure as Error;
}

function targetFile(repo: string, name: string): string {
  const file = readdirSync(join(repo, 'targets')).find((f) => f.endsWith(`.${name}`));
  expect(file, name).toBeDefined();
  return join(repo, 'targets', file!);
}

function metadataJson(repo: string, name: string) {
  return JSON.parse(readFileSync(join(repo, 'metadata', name), 'utf8'));
}

function latest(repo: string, role: string): number {
  return Math.max(...readdirSync(join(repo, 'metadata')).filter((f) => f.endsWith(`.${role}.json`)).map((f) => Number(f.split('.')[0])));
}

describe('vigil update refuses attacks and keeps the database', () => {
  it('a tampered target (image and delta)', async () => {
    const { pub, repo, agent, sha1 } = await installedOne();
    await pub.publish(2);
    await pub.exportTo(repo);
    for (const name of ['vigil-2.vigildb', 'vigil-1-to-2.vigildelta']) {
      const file = targetFile(repo, name);
      const bytes = readFileSync(file);
      bytes[bytes.length - 10] = bytes[bytes.length - 10]! ^ 0xff;
      writeFileSync(file, bytes);
    }
    const e = await refused(agent, repo, 'TARGET_REFUSED', sha1);
    expect(e.message).toMatch(/vigil-2\.vigildb/);
  });

  it('tampered or unsigned metadata', async () => {
    const { pub, repo, agent, sha1 } = await installedOne();
    await pub.publish(2);
    await pub.exportTo(repo);
    const original = readFileSync(join(repo, 'metadata', 'timestamp.json'), 'utf8');
    const tampered = JSON.parse(original);
    tampered.signed.expires = '2099-01-01T00:00:00Z';
    writeFileSync(join(repo, 'metadata', 'timestamp.json'), JSON.stringify(tampered));
    await refused(agent, repo, 'METADATA_REFUSED', sha1);
    const unsigned = JSON.parse(original);
    unsigned.signatures = [];
    writeFileSync(join(repo, 'metadata', 'timestamp.json'), JSON.stringify(unsigned));
    await refused(agent, repo, 'METADATA_REFUSED', sha1);
    const targetsName = `${latest(repo, 'targets')}.targets.json`;
    const targets = metadataJson(repo, targetsName);
    writeFileSync(join(repo, 'metadata', 'timestamp.json'), original);
    (targets.signed.targets['vigil-2.vigildb'] as { length: number }).length += 1;
    writeFileSync(join(repo, 'metadata', targetsName), JSON.stringify(targets));
    await refused(agent, repo, 'METADATA_REFUSED', sha1);
  });

  it('a rollback to an older release, with and without the metadata kept', async () => {
    const pub = await openPublisher();
    await pub.publish(1);
    const old = await pub.exportTo();
    const [sha2] = await pub.publish(2);
    const repo = await pub.exportTo();
    const agent = newAgent();
    await agent.update(repo);
    expect(agent.installed()).toBe(sha2);
    await refused(agent, old, 'ROLLBACK', sha2!); // TUF 5.4.3: an older timestamp version
    rmSync(join(agent.agentDir, 'update'), { recursive: true }); // metadata lost: the install state still knows release 2
    const e = await refused(agent, old, 'ROLLBACK', sha2!);
    expect(e.message).toMatch(/newest release is 1, older than release 2/);
  });

  it('a freeze: the same expired timestamp served forever', async () => {
    const { pub, repo, agent, sha1 } = await installedOne();
    await pub.publish(2);
    await pub.exportTo(repo);
    const e = await refused(agent, repo, 'EXPIRED', sha1, { now: () => new Date(Date.now() + 2 * DAY) });
    expect(e.message).toMatch(/timestamp\.json .* expired/);
  });

  it('mix-and-match of metadata versions', async () => {
    const { pub, repo, agent, sha1 } = await installedOne();
    await pub.publish(2);
    await pub.exportTo(repo);
    // The snapshot the timestamp names replaced by the previous one (hash mismatch, TUF 5.5.2).
    const v = latest(repo, 'snapshot');
    const snapshot = readFileSync(join(repo, 'metadata', `${v}.snapshot.json`));
    cpSync(join(repo, 'metadata', `${v - 1}.snapshot.json`), join(repo, 'metadata', `${v}.snapshot.json`));
    await refused(agent, repo, 'METADATA_REFUSED', sha1);
    writeFileSync(join(repo, 'metadata', `${v}.snapshot.json`), snapshot);
    // The targets the snapshot names replaced by an older version (TUF 5.6.3).
    const t = latest(repo, 'targets');
    cpSync(join(repo, 'metadata', `${t - 1}.targets.json`), join(repo, 'metadata', `${t}.targets.json`));
    await refused(agent, repo, 'METADATA_REFUSED', sha1);
  });

  it('endless data: a target longer than its metadata declares', async () => {
    const { pub, repo, agent, sha1 } = await installedOne();
    await pub.publish(2);
    await pub.exportTo(repo);
    rmSync(targetFile(repo, 'vigil-1-to-2.vigildelta'));
    appendFileSync(targetFile(repo, 'vigil-2.vigildb'), Buffer.alloc(1024 * 1024));
    const e = await refused(agent, repo, 'TARGET_REFUSED', sha1);
    expect(e.message).toMatch(/[Mm]ax length/);
  });

  it('a release missing from the log', async () => {
    const { pub, repo, agent, sha1 } = await installedOne();
    const oldLog = join(tempDir(), 'log');
    cpSync(join(repo, 'log'), oldLog, { recursive: true });
    await pub.publish(2);
    await pub.exportTo(repo);
    rmSync(join(repo, 'log'), { recursive: true });
    cpSync(oldLog, join(repo, 'log'), { recursive: true });
    const e = await refused(agent, repo, 'NOT_IN_LOG', sha1);
    expect(e.message).toMatch(/release 2 .* is not in the log of 2 entries/);
  });

  it('a forked log: a checkpoint that does not extend the one kept', async () => {
    const a = await openPublisher();
    await a.publish(1);
    const b = await forkPublisher(a); // same keys, same history so far
    const [sha2] = await a.publish(2);
    const repoA = await a.exportTo();
    const agent = newAgent();
    await agent.update(repoA);
    expect(agent.installed()).toBe(sha2);
    await b.publish(2, 3); // another release 2, then 3: a log of 4 that does not extend A's 3
    const repoB = await b.exportTo();
    const e = await refused(agent, repoB, 'LOG_INCONSISTENT', sha2!);
    expect(e.message).toMatch(/does not extend/);
  });

  it('a fork at the same size', async () => {
    const a = await openPublisher();
    await a.publish(1);
    const b = await forkPublisher(a);
    const [sha2] = await a.publish(2);
    const agent = newAgent();
    await agent.update(await a.exportTo());
    await b.publish(2);
    await b.repo.refreshTimestamp('test'); // a newer timestamp, so TUF takes B's metadata
    const e = await refused(agent, await b.exportTo(), 'LOG_INCONSISTENT', sha2!);
    expect(e.message).toMatch(/forked/);
  });

  it('a retired timestamp key after rotation', async () => {
    const { pub, repo, agent, sha1 } = await installedOne();
    const root1 = metadataJson(repo, '1.root.json');
    const oldKeyId = root1.signed.roles.timestamp.keyids[0] as string;
    await pub.repo.rotate('timestamp', 'test');
    await pub.publish(2);
    await pub.exportTo(repo);
    // The attacker holds the retired key and signs a newer timestamp with it.
    const current = Metadata.fromJSON(MetadataKind.Timestamp, metadataJson(repo, 'timestamp.json'));
    const forged = Metadata.fromJSON(MetadataKind.Timestamp, { signed: { ...current.signed.toJSON(), version: current.signed.version + 5 }, signatures: [] });
    forged.sign(tufSigner(new KeyVault(pub.dataDir, undefined).load(oldKeyId)));
    writeFileSync(join(repo, 'metadata', 'timestamp.json'), JSON.stringify(forged.toJSON()));
    await refused(agent, repo, 'METADATA_REFUSED', sha1);
  });
});
