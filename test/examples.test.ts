// The README's library examples run as users would run them, from the package's own name.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ClamdDaemon, DaemonLog, defaultSettings } from '../src/agent/daemon/index.js';
import { EICAR, run } from './helpers/cli.js';

const ROOT = resolve(__dirname, '..');

describe('examples', () => {
  it('scan-buffers.mjs detects EICAR and passes clean text', () => {
    const r = run(process.execPath, [resolve(__dirname, '../examples/scan-buffers.mjs')], { cwd: ROOT });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('infected Win.Test.EICAR_HDB-1\nclean\n');
    expect(r.code).toBe(0);
  });
});

describe('examples/upload/upload-server.mjs', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function startExample(env: Record<string, string>): Promise<{ url: string; dir: string }> {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-upload-'));
    const child: ChildProcess = spawn(process.execPath, [join(ROOT, 'examples/upload/upload-server.mjs')], { cwd: ROOT, env: { ...process.env, PORT: '0', UPLOAD_DIR: dir, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    cleanups.push(async () => {
      const exited = new Promise((r) => child.once('exit', r));
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    });
    let out = '';
    let err = '';
    child.stderr!.on('data', (d: unknown) => (err += String(d)));
    const url = await new Promise<string>((res, rej) => {
      child.stdout!.on('data', (d: unknown) => {
        out += String(d);
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m) res(m[1]!);
      });
      child.once('exit', (code) => rej(new Error(`the example exited ${String(code)}: ${err}`)));
    });
    return { url, dir };
  }

  async function upload(url: string, name: string, content: string | Buffer): Promise<{ status: number; body: Record<string, unknown> }> {
    const form = new FormData();
    form.append('file', new Blob([content]), name);
    const r = await fetch(`${url}/upload`, { method: 'POST', body: form });
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  }

  async function exercise(url: string, dir: string) {
    const infected = await upload(url, 'eicar.com', EICAR);
    expect(infected.status).toBe(422);
    expect(infected.body).toMatchObject({ error: 'infected' });
    expect(readdirSync(dir)).toEqual([]); // nothing of it reached the disk
    const report = Buffer.concat([Buffer.from('%PDF-1.4 '), Buffer.alloc(300_000, 'x')]);
    const clean = await upload(url, '../../etc/report.pdf', report);
    expect(clean.status).toBe(201);
    // The client's name is kept as metadata only, without its folders (busboy drops them).
    expect(clean.body).toMatchObject({ name: 'report.pdf', bytes: report.length });
    const stored = readdirSync(dir);
    expect(stored).toEqual([clean.body['id']]); // stored under its own name, inside the upload folder
    expect(readFileSync(join(dir, stored[0]!)).equals(report)).toBe(true);
    const none = await fetch(`${url}/upload`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(none.status).toBeGreaterThanOrEqual(400);
    expect(none.status).toBeLessThan(500);
  }

  it('stores clean uploads and refuses infected ones before they touch the disk, scanning in process', async () => {
    const { url, dir } = await startExample({});
    await exercise(url, dir);
  }, 60_000);

  it('does the same through a daemon (VIGIL_DAEMON) with the clamd client', async () => {
    const settings = { ...defaultSettings(), tcpPort: 0, cacheDir: false as const };
    const daemon = await ClamdDaemon.start({ settings, version: '0.0.0-test', workerThreads: 0, log: new DaemonLog({ file: null, time: false, verbose: false, write: () => undefined }) });
    cleanups.push(() => daemon.shutdown());
    const port = daemon.addresses.find((a) => a.kind === 'tcp')!.port!;
    const { url, dir } = await startExample({ VIGIL_DAEMON: `127.0.0.1:${port}` });
    await exercise(url, dir);
    expect(existsSync(dir)).toBe(true);
  }, 60_000);
});
