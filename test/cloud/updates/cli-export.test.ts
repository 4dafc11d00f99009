// `vigil cloud release|keys|timestamp|repo` run in-process, then the exported folder served by a
// plain static HTTP server and read by tuf-js's Updater, as an endpoint would.
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';
import { Updater } from 'tuf-js';
import { afterEach, describe, expect, it } from 'vitest';
import { registerCloudCommand } from '../../../src/cli/cloud-command.js';
import { canonicalJson, hashLeaf, inclusionProofFromTiles, openCheckpoint, parseVerifierKey, verifyInclusion } from '../../../src/protocol/index.js';
import { tempDir, writeSources } from './update-fixtures.js';
import { runInProcess } from '../../helpers/in-process-cli.js';

const vigilCloud = (args: string[]) => runInProcess(registerCloudCommand, ['cloud', ...args]);

const servers: http.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

/** A static file server over a folder, as nginx or an object store would be. */
async function serveFolder(dir: string): Promise<string> {
  const server = http.createServer((req, res) => {
    const path = normalize(decodeURIComponent((req.url ?? '/').split('?')[0]!)).replace(/^(\.\.[/\\])+/, '');
    const file = join(dir, path);
    if (!file.startsWith(dir) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200).end(readFileSync(file));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('vigil cloud release, keys, timestamp, repo', () => {
  it('publishes, rotates, refreshes and exports a folder that tuf-js updates from', async () => {
    const data = tempDir();
    const first = await vigilCloud(['release', 'publish', '--data', data, '-d', writeSources(1), '--keep-deltas', '2', '--origin', 'updates.test/log']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^Published release 1: vigil-1\.vigildb/);
    expect((await vigilCloud(['release', 'publish', '--data', data, '-d', writeSources(2)])).code).toBe(0);
    expect((await vigilCloud(['keys', 'rotate', 'root', '--data', data])).stdout).toMatch(/^Rotated root: root version 2/);
    const third = await vigilCloud(['release', 'publish', '--data', data, '-d', writeSources(3), '--json']);
    const published = JSON.parse(third.stdout) as { release: { number: number; deltas: { from: number }[]; logIndex: number; image: { sha256: string; length: number }; targetsVersion: number } };
    expect(published.release.number).toBe(3);
    expect(published.release.deltas.map((d) => d.from)).toEqual([1, 2]);
    expect((await vigilCloud(['timestamp', 'refresh', '--data', data])).stdout).toMatch(/^Timestamp version \d+, expires/);
    const list = await vigilCloud(['release', 'list', '--data', data, '--json']);
    expect((JSON.parse(list.stdout) as { releases: { number: number }[] }).releases.map((r) => r.number)).toEqual([1, 2, 3]);

    const repo = join(tempDir(), 'repo');
    const exported = await vigilCloud(['repo', 'export', '--data', data, '--out', repo]);
    expect(exported.code).toBe(0);
    for (const f of ['root.json', 'metadata/1.root.json', 'metadata/2.root.json', 'metadata/timestamp.json', 'log/checkpoint']) expect(existsSync(join(repo, f)), f).toBe(true);
    expect(JSON.parse(readFileSync(join(repo, 'root.json'), 'utf8')).signed.version).toBe(1);

    // An endpoint: trusts root.json, walks to root 2, and downloads release 3 and a delta.
    const base = await serveFolder(repo);
    const client = tempDir();
    mkdirSync(join(client, 'metadata'));
    mkdirSync(join(client, 'targets'));
    copyFileSync(join(repo, 'root.json'), join(client, 'metadata', 'root.json'));
    const updater = new Updater({ metadataDir: join(client, 'metadata'), metadataBaseUrl: `${base}/metadata`, targetDir: join(client, 'targets'), targetBaseUrl: `${base}/targets` });
    await updater.refresh();
    expect(JSON.parse(readFileSync(join(client, 'metadata', 'root.json'), 'utf8')).signed.version).toBe(2);
    for (const name of ['vigil-3.vigildb', 'vigil-1-to-3.vigildelta']) {
      const info = await updater.getTargetInfo(name);
      expect(info, name).toBeDefined();
      const path = await updater.downloadTarget(info!, join(client, 'targets', name));
      expect(readFileSync(path).length).toBe(info!.length);
    }
    expect(await updater.getTargetInfo('vigil-1-to-2.vigildelta')).toBeUndefined(); // deltas to older releases are not listed any more

    // An auditor: the checkpoint verifies with the log key the root names, and release 3 is in it.
    const root = JSON.parse(readFileSync(join(client, 'metadata', 'root.json'), 'utf8')) as { signed: Record<string, { origin: string; key: string }> };
    const log = root.signed['x-vigil-log']!;
    expect(log.origin).toBe('updates.test/log');
    const checkpoint = openCheckpoint(readFileSync(join(repo, 'log', 'checkpoint')), { verifiers: [parseVerifierKey(log.key)], origin: log.origin });
    const fetchTile = async (_t: unknown, path: string) => {
      const res = await fetch(`${base}/log/${path}`);
      return res.ok ? new Uint8Array(await res.arrayBuffer()) : undefined;
    };
    const r = published.release;
    const proof = await inclusionProofFromTiles(r.logIndex, checkpoint.size, fetchTile);
    verifyInclusion(r.logIndex, checkpoint.size, hashLeaf(Buffer.from(canonicalJson({ kind: 'release', release: 3, image: { sha256: r.image.sha256, length: r.image.length }, targets_version: r.targetsVersion }))), proof, checkpoint.rootHash);
  });

  it('refuses bad sources with the problems listed, and publishes nothing', async () => {
    const data = tempDir();
    const bad = tempDir();
    writeFileSync(join(bad, 'broken.hdb'), 'not-a-hash:12:Bad.Sig\n');
    const result = await vigilCloud(['release', 'publish', '--data', data, '-d', bad]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^ERROR: .*error/);
    expect(result.stderr).toContain('broken.hdb:1');
    expect(result.stderr).toContain('nothing was published');
    expect(existsSync(join(data, 'keys'))).toBe(false);
    expect((await vigilCloud(['release', 'publish', '--data', data])).stderr).toMatch(/-d FILE\|DIR/);
    expect((await vigilCloud(['keys', 'rotate', 'nobody', '--data', data])).stderr).toMatch(/no role nobody/);
    const empty = await vigilCloud(['timestamp', 'refresh', '--data', data]);
    expect(empty, JSON.stringify(empty)).toMatchObject({ code: 2 });
    expect(empty.stderr).toMatch(/publish a release first/);
    expect((await vigilCloud(['release', 'publish', '--data', data, '-d', writeSources(1), '--expires', 'timestamp=0'])).stderr).toMatch(/--expires/);
  });
});

describe('vigil cloud release --help', () => {
  it('describes each command and its options', async () => {
    for (const args of [['release', 'publish'], ['release', 'list'], ['keys', 'rotate'], ['timestamp', 'refresh'], ['repo', 'export']]) {
      const result = await vigilCloud([...args, '--help']).catch((e: unknown) => ({ code: (e as { code?: string }).code, stdout: '', stderr: '' }));
      expect(result.code, args.join(' ')).toBe('commander.helpDisplayed');
    }
  });
});
