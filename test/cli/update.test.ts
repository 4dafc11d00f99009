// `vigil update` as a user runs it: the built CLI against a mirror folder and a cloud over HTTP,
// `vigil scan -d` with what it installed, exit codes, and a real child process killed at several
// points of an update (SIGKILL): the endpoint must keep a working, verified database.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/engine/index.js';
import { readInstallState } from '../../src/agent/update/installed-database.js';
import { CLI, type Run } from '../helpers/cli.js';
import { newAgent, openPublisher, serveRepo, sha256, tempDir } from '../agent/update/update-fixtures.js';

function vigil(args: string[], onSpawn?: (kill: () => void) => void): Promise<Run & { signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, VIGIL_AGENT_DIR: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code: code ?? -1, stdout, stderr, signal }));
    onSpawn?.(() => child.kill('SIGKILL'));
  });
}

describe('vigil update (CLI)', () => {
  it('installs from a mirror, scans with it, rolls back, and exits 0 when current', async () => {
    const pub = await openPublisher();
    await pub.publish(1);
    const repo = await pub.exportTo();
    const agentDir = tempDir('vigil-agent-');
    const first = await vigil(['update', '--mirror', repo, '--trusted-root', join(repo, 'root.json'), '--agent-dir', agentDir, '--json']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ status: 'updated', release: 1, via: 'image', source: { kind: 'mirror' } });
    const sample = join(agentDir, 'sample.txt');
    writeFileSync(sample, 'nothing to see\n');
    const scan = await vigil(['scan', '-d', join(agentDir, 'database'), sample]);
    expect(scan.code, scan.stderr).toBe(0);
    expect(scan.stdout).toMatch(/Known viruses: 51/);

    await pub.publish(2);
    await pub.exportTo(repo);
    const second = await vigil(['update', '--mirror', repo, '--agent-dir', agentDir]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/^Updated to release 2 from release 1 \(delta, \d+ bytes\)/);
    expect((await vigil(['update', '--mirror', repo, '--agent-dir', agentDir])).stdout).toMatch(/^Already current: release 2/);
    const back = await vigil(['update', '--rollback', '--agent-dir', agentDir, '--json']);
    expect(back.code, back.stderr).toBe(0);
    expect(JSON.parse(back.stdout)).toMatchObject({ status: 'rolled_back', release: 1, replaced: 2 });
  });

  it('exits 3 with the decision when the vendor policy refuses updates, 2 on other refusals', async () => {
    const pub = await openPublisher();
    await pub.publish(1);
    const repo = await pub.exportTo();
    const decision = { decision: 'deny', action: 'update', reason: 'Sanctions programme 12', since: '2024-01-01T00:00:00Z' };
    const server = await serveRepo(repo, '/v1/updates', (path, res) => {
      if (!path.endsWith('timestamp.json')) return false;
      res.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'policy_denied', message: 'refused by policy', decision } }));
      return true;
    });
    const agentDir = tempDir('vigil-agent-');
    const denied = await vigil(['update', '--server', server, '--trusted-root', join(repo, 'root.json'), '--agent-dir', agentDir]);
    expect(denied.code).toBe(3);
    expect(denied.stderr).toMatch(/signature and program updates/);
    expect(denied.stderr).toMatch(/Why:\s+Sanctions programme 12/);
    const json = await vigil(['update', '--server', server, '--trusted-root', join(repo, 'root.json'), '--agent-dir', agentDir, '--json']);
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stdout)).toMatchObject({ status: 'policy_denied', error: { code: 'POLICY_DENIED', decision: { reason: 'Sanctions programme 12' } } });
    const noRoot = await vigil(['update', '--mirror', repo, '--agent-dir', agentDir]);
    expect(noRoot.code).toBe(2);
    expect(noRoot.stderr).toMatch(/--trusted-root/);
    expect((await vigil(['update', '--rollback', '--agent-dir', agentDir])).code).toBe(2);
  });

  it('killed at any moment, keeps a working database that is one of the two verified releases', { timeout: 240_000 }, async () => {
    const pub = await openPublisher();
    const [sha1] = await pub.publish(1);
    const repo = await pub.exportTo();
    const template = newAgent();
    await template.update(repo);
    const [sha2] = await pub.publish(2);
    await pub.exportTo(repo);
    for (const name of readdirSync(join(repo, 'targets'))) if (name.endsWith('.vigildelta')) rmSync(join(repo, 'targets', name)); // the full image, downloaded slowly
    const image = readFileSync(join(repo, 'targets', `${sha2!}.vigil-2.vigildb`));

    interface Point { what: string; at: (event: string, sent: number) => boolean; delayMs: number }
    let onEvent: (event: string, sent: number) => void = () => undefined;
    const server = await serveRepo(repo, '/v1/updates', (path, res) => {
      onEvent(path, 0);
      if (!path.includes('/targets/')) return false;
      const file = join(repo, 'targets', path.split('/').pop()!);
      if (!existsSync(file)) return false;
      const data = readFileSync(file);
      res.writeHead(200, { 'content-length': String(data.length) });
      let sent = 0;
      const step = () => {
        if (res.destroyed) return;
        const chunk = data.subarray(sent, sent + 4096);
        sent += chunk.length;
        res.write(chunk);
        onEvent(`${path}#sent`, sent);
        if (sent < data.length) setTimeout(step, 2);
        else res.end(() => onEvent(`${path}#done`, sent));
      };
      step();
      return true;
    });
    const half = Math.floor(image.length / 2);
    const points: Point[] = [
      { what: 'at the first metadata request', at: (e) => e.endsWith('/metadata/timestamp.json'), delayMs: 0 },
      { what: 'while the snapshot is fetched', at: (e) => e.endsWith('.snapshot.json'), delayMs: 0 },
      { what: 'mid-download', at: (e, sent) => e.endsWith('#sent') && sent >= half, delayMs: 0 },
      ...[0, 3, 6, 10, 15, 20, 30, 45, 60, 90, 150].map((delayMs) => ({ what: `${delayMs} ms after the download`, at: (e: string) => e.endsWith('#done'), delayMs })),
    ];
    const outcomes = new Set<string>();
    for (const point of points) {
      const agentDir = join(tempDir('vigil-killed-'), 'agent');
      cpSync(template.agentDir, agentDir, { recursive: true });
      let killed = false;
      const run = await vigil(['update', '--server', server, '--agent-dir', agentDir, '--json'], (kill) => {
        onEvent = (event, sent) => {
          if (killed || !point.at(event, sent)) return;
          killed = true;
          setTimeout(kill, point.delayMs);
        };
      });
      onEvent = () => undefined;
      const dbDir = join(agentDir, 'database');
      const installed = sha256(readFileSync(join(dbDir, 'vigil.vigildb')));
      expect([sha1, sha2], `${point.what}: ${run.stderr}`).toContain(installed);
      expect(openDatabase([dbDir], { cacheDir: false }).db.info().hashSignatures, point.what).toBeGreaterThan(50);
      expect(() => readInstallState(dbDir), point.what).not.toThrow();
      outcomes.add(run.signal === 'SIGKILL' ? `killed:${installed === sha2 ? 2 : 1}` : `finished:${run.code}`);
      // And the next update completes.
      const after = await vigil(['update', '--server', server, '--agent-dir', agentDir, '--json']);
      expect(after.code, `${point.what}, then: ${after.stderr}`).toBe(0);
      expect(sha256(readFileSync(join(dbDir, 'vigil.vigildb')))).toBe(sha2);
    }
    expect(outcomes.has('killed:1')).toBe(true);
  });
});
