// `vigil update` as a library: from a mirror folder and from the cloud's routes over HTTP, deltas,
// already current, rollback, the daemon signal, and a policy refusal.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/engine/index.js';
import { readInstallState } from '../../../src/agent/update/installed-database.js';
import { rollbackUpdate } from '../../../src/agent/update/update-client.js';
import { UpdateClientError } from '../../../src/agent/update/update-error.js';
import { installedOne, newAgent, openPublisher, serveRepo } from './update-fixtures.js';

describe('vigil update (library)', () => {
  it('installs the newest release from a mirror, then the next by delta, and scans with it', async () => {
    const pub = await openPublisher();
    const [sha1] = await pub.publish(1);
    const repo = await pub.exportTo();
    const agent = newAgent();
    const first = await agent.update(repo);
    expect(first).toMatchObject({ status: 'updated', release: 1, via: 'image', previous: undefined, rootVersion: 1 });
    expect(agent.installed()).toBe(sha1);
    expect(openDatabase([agent.dbDir], { cacheDir: false }).db.info().hashSignatures).toBe(51);

    const again = await agent.update(repo);
    expect(again).toMatchObject({ status: 'current', release: 1, downloadedBytes: 0 });

    const [sha2] = await pub.publish(2);
    await pub.exportTo(repo);
    const second = await agent.update(repo, { trustedRootFile: '/nonexistent' }); // the kept root is used from now on
    expect(second).toMatchObject({ status: 'updated', release: 2, previous: 1, via: 'delta', deltaFailed: undefined });
    expect(second.downloadedBytes).toBeLessThan(readFileSync(join(agent.dbDir, 'vigil.vigildb')).length);
    expect(agent.installed()).toBe(sha2);
    expect(openDatabase([agent.dbDir], { cacheDir: false }).db.info().hashSignatures).toBe(52);
    expect(readInstallState(agent.dbDir)).toMatchObject({ highestRelease: 2 });

    const back = rollbackUpdate({ agentDir: agent.agentDir });
    expect(back).toMatchObject({ release: 1, replaced: 2 });
    expect(agent.installed()).toBe(sha1);
    expect(openDatabase([agent.dbDir], { cacheDir: false }).db.info().hashSignatures).toBe(51);
    // The next update goes forward again, by delta from the restored release.
    expect(await agent.update(repo)).toMatchObject({ status: 'updated', release: 2, via: 'delta' });
  });

  it('falls back to the full image when the delta does not fit', async () => {
    const pub = await openPublisher({ config: { keepDeltas: 1 } });
    await pub.publish(1);
    const repo = await pub.exportTo();
    const agent = newAgent();
    await agent.update(repo);
    await pub.publish(2, 3);
    await pub.exportTo(repo);
    const outcome = await agent.update(repo);
    expect(outcome).toMatchObject({ status: 'updated', release: 3, via: 'image', previous: 1 });
  });

  it('updates from the cloud routes over HTTP and signals the daemon', async () => {
    const pub = await openPublisher();
    await pub.publish(1);
    const repo = await pub.exportTo();
    const server = await serveRepo(repo, '/v1/updates');
    const agent = newAgent();
    const pidFile = join(agent.agentDir, 'daemon.pid');
    writeFileSync(pidFile, `${process.pid}\n`);
    let signalled = 0;
    const onUsr2 = () => signalled++;
    process.on('SIGUSR2', onUsr2);
    try {
      const outcome = await agent.update(repo, { mirror: undefined, server, notifyPidFile: pidFile });
      expect(outcome).toMatchObject({ status: 'updated', release: 1, source: { kind: 'server' }, notified: { pid: process.pid } });
      await new Promise((r) => setTimeout(r, 50));
      expect(signalled).toBe(1);
    } finally {
      process.off('SIGUSR2', onUsr2);
    }
  });

  it('stops with POLICY_DENIED and the decision when the cloud refuses updates, keeping the database', async () => {
    const { pub, repo, agent, sha1 } = await installedOne();
    await pub.publish(2);
    await pub.exportTo(repo);
    const decision = { decision: 'deny', action: 'update', reason: 'Export controls', jurisdiction: 'XX' };
    const server = await serveRepo(repo, '/v1/updates', (path, res) => {
      if (!path.includes('/targets/')) return false;
      res.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'policy_denied', message: 'updates are not offered here', decision } }));
      return true;
    });
    const failure = await agent.update(repo, { mirror: undefined, server }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(UpdateClientError);
    expect(failure).toMatchObject({ code: 'POLICY_DENIED', decision: { decision: 'deny', reason: 'Export controls' } });
    expect(agent.installed()).toBe(sha1);
  });

  it('needs a trusted root the first time, and a source', async () => {
    const pub = await openPublisher();
    await pub.publish(1);
    const repo = await pub.exportTo();
    const agent = newAgent();
    await expect(agent.update(repo, { trustedRootFile: undefined })).rejects.toMatchObject({ code: 'NO_TRUSTED_ROOT' });
    await expect(agent.update(repo, { mirror: undefined })).rejects.toMatchObject({ code: 'NO_SOURCE' });
    expect(existsSync(join(agent.dbDir, 'vigil.vigildb'))).toBe(false);
    expect(() => rollbackUpdate({ agentDir: agent.agentDir })).toThrow(/no previous database|never installed/);
  });
});
