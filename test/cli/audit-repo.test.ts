// `vigil audit repo` and `vigil audit diff`, run in-process on repositories published by the cloud's
// real publisher: exported to a folder, and served over HTTP as the cloud's routes serve them.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { registerAuditCommand } from '../../src/cli/audit-command.js';
import { chainAuditRecord, formatAuditLine } from '../../src/protocol/index.js';
import { clonePublisher, compileImage, compileRelease, flipBit, publisher, tempDir } from '../agent/auditor/auditor-fixtures.js';
import { runInProcess } from '../helpers/in-process-cli.js';

const vigilAudit = (args: string[]) => runInProcess(registerAuditCommand, ['audit', ...args]);

const servers: http.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

/** Serves an exported folder under `prefix`, as the cloud serves its repository under /v1/updates. */
async function serve(dir: string, prefix: string): Promise<string> {
  const server = http.createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0]!;
    if (!url.startsWith(`${prefix}/`)) return void res.writeHead(404).end();
    const file = join(dir, normalize(decodeURIComponent(url.slice(prefix.length))).replace(/^(\.\.[/\\])+/, ''));
    if (!file.startsWith(dir) || !existsSync(file)) return void res.writeHead(404).end();
    res.writeHead(200).end(readFileSync(file));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('vigil audit repo', () => {
  it('audits a published repository clean, from a folder and from a server, and exits 0', async () => {
    const p = await publisher();
    await p.publish();
    await p.publish();
    const repo = await p.export();
    const state = tempDir();
    const r = await vigilAudit(['repo', '--mirror', repo, '--state', state]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Repository: ');
    expect(r.stdout).toContain('(log audit.test/log)');
    expect(r.stdout).toMatch(/Trusted root: version 1 \(trusted on first use/);
    expect(r.stdout).toMatch(/Log: 3 entries, root [0-9a-f]{64}, signed \d{4}-.*first checkpoint seen/);
    expect(r.stdout).toMatch(/^ +1 +1 +2 +51 +51 +0 +0 +0 +[0-9a-f]{16}…$/m);
    expect(r.stdout).toMatch(/^ +2 +2 +3 +52 +52 +0 +0 +0 +/m);
    expect(r.stdout).toMatch(/OK: every checkpoint, root and release verified \(2 release\(s\)\)\n$/);

    // The cloud's routes: the same files under /v1/updates; the same state, now with a checkpoint seen.
    const base = await serve(repo, '/v1/updates');
    const served = await vigilAudit(['repo', '--server', base, '--state', state, '--json']);
    expect(served.code).toBe(0);
    const report = JSON.parse(served.stdout);
    expect(report).toMatchObject({ ok: true, origin: 'audit.test/log', trustedRoot: { version: 1, from: 'state' }, log: { size: 3, checkpointsSeen: 1 } });
    expect(report.releases.map((x: { number: number; signatures: { total: number } }) => [x.number, x.signatures.total])).toEqual([[1, 51], [2, 52]]);
    // An export on a static server: --mirror URL; a witness checkpoint given by URL.
    const mirror = await serve(repo, '');
    const byUrl = await vigilAudit(['repo', '--mirror', mirror, '--state', tempDir(), '--witness', `${mirror}/log/checkpoint`]);
    expect(byUrl.code).toBe(0);
    expect(byUrl.stdout).toContain(`Witness ${mirror}/log/checkpoint: size 3, consistent`);
  });

  it('exits 1 with the problem when something does not verify', async () => {
    const p = await publisher();
    await p.publish();
    const repo = await p.export();
    flipBit(join(repo, 'log/tile/0/000.p/2'), 3);
    const r = await vigilAudit(['repo', '--mirror', repo, '--state', tempDir()]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAIL TILE_INVALID: tile tile\/0\/000\.p\/2 /m);
    expect(r.stdout).toMatch(/FAILED: 1 problem\(s\)\n$/);
  });

  it('exits 4 (EXIT_SPLIT_VIEW) and prints both checkpoints for a split view shown by a witness', async () => {
    const a = await publisher();
    await a.publish();
    const b = await clonePublisher(a);
    await a.publish(compileRelease(5));
    await b.publish(compileRelease(6));
    const repo = await a.export();
    const witness = join(tempDir(), 'friend.checkpoint');
    const theirs = readFileSync(join(await b.export(), 'log/checkpoint'), 'utf8');
    writeFileSync(witness, theirs);
    const r = await vigilAudit(['repo', '--mirror', repo, '--state', tempDir(), '--witness', witness]);
    expect(r.code).toBe(4);
    expect(r.stdout).toContain(`SPLIT VIEW (${witness}): two trees of 3 entries with different roots`);
    expect(r.stdout).toContain(theirs.split('\n')[2]); // their root hash line
    expect(r.stdout).toContain(readFileSync(join(repo, 'log/checkpoint'), 'utf8').split('\n')[2]);
    expect(r.stdout).toMatch(/SPLIT VIEW: the log shows different histories to different readers\n$/);
  });

  it('exits 2 on usage and unreachable sources', async () => {
    expect((await vigilAudit(['repo'])).stderr).toMatch(/^ERROR: give exactly one of --server URL and --mirror/);
    const missing = await vigilAudit(['repo', '--mirror', join(tempDir(), 'nothing'), '--state', tempDir()]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/not an update repository/);
    const down = await vigilAudit(['repo', '--server', 'http://127.0.0.1:9', '--state', tempDir(), '--json']);
    expect(down.code).toBe(2);
    expect(JSON.parse(down.stdout)).toMatchObject({ ok: false, error: { code: 'UNREACHABLE' } });
  });
});

describe('vigil audit diff', () => {
  it('shows the signatures added and removed between two releases, by name', async () => {
    const p = await publisher();
    await p.publish(compileImage({ 'a.hdb': 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1:10:Hash.Kept\naaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa2:11:Hash.Dropped\n' }));
    await p.publish(compileImage({ 'a.hdb': 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1:10:Hash.Kept\naaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa3:12:Hash.Added\n', 'b.ndb': 'Body.Added:0:*:deadbeef\n' }));
    const repo = await p.export();
    const r = await vigilAudit(['diff', '--mirror', repo, '--state', tempDir(), '1', '2']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      ['Release 1 to 2: 2 signature(s) added, 1 removed', '+ body    Body.Added.UNOFFICIAL', '+ hash    Hash.Added.UNOFFICIAL', '- hash    Hash.Dropped.UNOFFICIAL', ''].join('\n'),
    );
    const bad = await vigilAudit(['diff', '--mirror', repo, '--state', tempDir(), '1', '3']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/release 3 is not in the log/);
    await expect(vigilAudit(['diff', '--mirror', repo, '0', '1'])).rejects.toMatchObject({ code: 'commander.invalidArgument' });
  });
});

describe('vigil audit log verify', () => {
  it('still checks an exported audit log', async () => {
    const first = chainAuditRecord(null, { at: new Date(Date.UTC(2024, 0, 1)), kind: 'rule.create', actor: 'user:1', tenant: null, data: {} });
    const file = join(tempDir(), 'audit.jsonl');
    writeFileSync(file, `${formatAuditLine(first)}\n`);
    const r = await vigilAudit(['log', 'verify', file]);
    expect(r).toEqual({ code: 0, stdout: `${file}: OK (1 records, head ${first.hash})\n`, stderr: '' });
  });
});
