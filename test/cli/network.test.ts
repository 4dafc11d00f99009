// `vigil network` and the security network in `vigil scan`, as a user runs them: the built CLI
// against the real cloud over HTTP (the in-process cloud listening on a port), reached through a
// recording proxy that counts what the machine sends and can take the cloud away (reset
// connections, lose answers, hang, close the port).
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { machineIdFile } from '../agent/license-fixtures.js';
import { CLI, EICAR, tempDir, type Run } from '../helpers/cli.js';
import { startLicenseCloud, type LicenseCloud } from '../helpers/license-cloud.js';

const SCENARIO = JSON.parse(readFileSync(join(__dirname, '../../examples/policy/us-2024.json'), 'utf8'));
const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function vigil(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run & { ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, VIGIL_AGENT_DIR: '', VIGIL_LICENSE_SERVER: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr, ms: Date.now() - started }));
  });
}

type ProxyMode = 'ok' | 'reset' | 'hang' | 'lose-ack';

interface Proxy {
  url: string;
  /** Requests to /v1/network, with their bodies. */
  requests: { method: string; path: string; raw: string; status?: number }[];
  mode: ProxyMode;
  /** Modes for the next requests to /v1/network/events, one each; then `mode`. */
  eventModes: ProxyMode[];
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** An HTTP proxy in front of the cloud that records network requests and misbehaves on demand. */
async function startProxy(target: string): Promise<Proxy> {
  const sockets = new Set<Socket>();
  const proxy: Proxy = { url: '', requests: [], mode: 'ok', eventModes: [], stop: async () => {}, start: async () => {} };
  // eslint-disable-next-line @typescript-eslint/no-misused-promises -- a test proxy: a failed forward shows in the test's assertions
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const path = req.url ?? '';
    const entry: Proxy['requests'][number] = { method: req.method ?? '', path, raw };
    if (path.startsWith('/v1/network')) proxy.requests.push(entry);
    const mode = path === '/v1/network/events' && proxy.eventModes.length > 0 ? proxy.eventModes.shift()! : path.startsWith('/v1/network') ? proxy.mode : 'ok';
    if (mode === 'reset') {
      req.socket.destroy();
      return;
    }
    if (mode === 'hang') return;
    const headers: Record<string, string> = {};
    for (const h of ['authorization', 'content-type', 'accept']) if (typeof req.headers[h] === 'string') headers[h] = req.headers[h];
    const answer = await fetch(`${target}${path}`, { method: req.method!, headers, ...(raw === '' ? {} : { body: raw }) });
    const body = Buffer.from(await answer.arrayBuffer());
    entry.status = answer.status;
    if (mode === 'lose-ack') {
      req.socket.destroy(); // the cloud took it; the agent never hears
      return;
    }
    const out: Record<string, string> = { 'content-type': answer.headers.get('content-type') ?? 'application/json' };
    const retry = answer.headers.get('retry-after');
    if (retry) out['retry-after'] = retry;
    res.writeHead(answer.status, out).end(body);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  proxy.url = `http://127.0.0.1:${port}`;
  let listening = true;
  proxy.stop = async () => {
    if (!listening) return;
    listening = false;
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  };
  proxy.start = async () => {
    if (listening) return;
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    listening = true;
  };
  cleanups.push(() => proxy.stop());
  return proxy;
}

interface Machine {
  agentDir: string;
  dir: string;
  env: NodeJS.ProcessEnv;
  network(args: string[]): Promise<Run>;
  scan(args: string[]): Promise<Run & { ms: number }>;
}

/** A machine activated against the cloud through `proxy`. */
async function activatedMachine(c: LicenseCloud, proxy: Proxy): Promise<Machine> {
  const d = tempDir('vigil-netcli-');
  cleanups.push(d.cleanup);
  const env = { VIGIL_MACHINE_ID_FILE: machineIdFile(d.path, randomBytes(16).toString('hex')), VIGIL_STATE_DIR: join(d.path, 'state') };
  const agentDir = join(d.path, 'agent');
  const activated = await vigil(['license', 'activate', c.key, '--server', proxy.url, '--name', 'laptop-1', '--agent-dir', agentDir], env);
  expect(activated.code).toBe(0);
  const dir = join(d.path, 'files');
  mkdirSync(dir);
  return {
    agentDir,
    dir,
    env,
    network: (args) => vigil(['network', ...args, '--agent-dir', agentDir], env),
    scan: (args) => vigil(['scan', '--no-cache', '--agent-dir', agentDir, ...args], env),
  };
}

async function cloudEvents(c: LicenseCloud): Promise<{ sha256: string; n: number }[]> {
  return (await c.cloud.store.all<{ sha256: string; n: number }>('SELECT sha256, COUNT(*) AS n FROM network_events GROUP BY sha256')).map((r) => ({ sha256: r.sha256, n: r.n }));
}

const network = (p: Proxy, path: string) => p.requests.filter((r) => r.path === path);

describe('vigil network', () => {
  it('sends nothing before enable or after disable, and reports detections without paths in between', async () => {
    const c = await startLicenseCloud();
    const proxy = await startProxy(c.url);
    const m = await activatedMachine(c, proxy);
    const eicar = join(m.dir, 'eicar-quarterly-report.com');
    const clean = join(m.dir, 'clean.txt');
    writeFileSync(eicar, EICAR);
    writeFileSync(clean, 'nothing to see here\n');

    const offline = await m.scan(['--no-cloud', '--no-summary', eicar, clean]);
    const before = await m.scan(['--no-summary', eicar, clean]);
    expect(before).toMatchObject({ code: 1, stdout: offline.stdout, stderr: '' });
    expect(before.stdout).toBe(`${eicar}: Win.Test.EICAR_HDB-1 FOUND\n${clean}: OK\n`);
    const never = await m.network(['status']);
    expect(never.code).toBe(0);
    expect(never.stdout).toContain('Security network:  off: never enabled (nothing is sent); "vigil network enable" opts in\n');
    expect(never.stdout).toContain('License:           valid, with the network entitlement\n');
    expect(proxy.requests).toEqual([]);
    expect(existsSync(join(m.agentDir, 'network'))).toBe(false);

    const enabled = await m.network(['enable']);
    expect(enabled.stderr).toBe('');
    expect(enabled.code).toBe(0);
    expect(enabled.stdout).toMatch(/^Enabled the security network for detections: recorded by the cloud at \S+Z and in \S+\.\n"vigil network disable" withdraws it at any time\.\n$/);
    expect(proxy.requests.map((r) => [r.method, r.path, JSON.parse(r.raw)])).toEqual([['PUT', '/v1/network/consent', { enabled: true, categories: ['detections'] }]]);

    const scanned = await m.scan(['--no-summary', eicar, clean]);
    expect(scanned).toMatchObject({ code: 1, stdout: offline.stdout, stderr: '' });
    const [lookup] = network(proxy, '/v1/network/lookups');
    expect(JSON.parse(lookup!.raw)).toEqual({ prefixes: [sha256('nothing to see here\n').slice(0, 8)] });
    const [events] = network(proxy, '/v1/network/events');
    expect(events!.status).toBe(200);
    const body = JSON.parse(events!.raw) as { batch_id: string; events: Record<string, unknown>[] };
    expect(body.events).toEqual([
      { kind: 'detection', sha256: sha256(EICAR), size: EICAR.length, file_type: 'text', detection: 'Win.Test.EICAR_HDB-1', engine: expect.any(String), database: expect.stringMatching(/^sha256:[0-9a-f]{16}$/), seen_at: expect.any(String) },
    ]);
    for (const r of proxy.requests) {
      expect(r.raw).not.toContain('eicar-quarterly-report');
      expect(r.raw).not.toContain(m.dir);
    }
    expect(await cloudEvents(c)).toEqual([{ sha256: sha256(EICAR), n: 1 }]);

    const status = await m.network(['status']);
    expect(status.stdout).toMatch(/^Security network:  enabled for detections since \S+ \(recorded by the cloud \S+\)\n/);
    expect(status.stdout).toMatch(/\nQueue:             0 events waiting \(0 in a batch being sent\), at most 100000; \S+queue\.sqlite\n/);
    expect(status.stdout).toContain('\nDropped:           0\n');
    expect(status.stdout).toContain('\nAcknowledged:      1 event\n');
    expect(status.stdout).toContain(`\nLast send:         `);
    expect(status.stdout).toContain(`(1 events, batch ${body.batch_id})`);
    expect(status.stdout).toContain('\nReputation cache:  0 hashes (0 malicious) in 1 buckets\n');
    const json = JSON.parse((await m.network(['status', '--json'])).stdout);
    expect(json).toMatchObject({ enabled: true, consent: { categories: ['detections'], machine_name: 'laptop-1' }, queue: { events: 0, acknowledged: 1 }, collect_stop: null });
    expect(readFileSync(join(m.agentDir, 'network', 'queue.sqlite')).includes(Buffer.from('eicar-quarterly'))).toBe(false);

    const disabled = await m.network(['disable']);
    expect(disabled.code).toBe(0);
    expect(disabled.stdout).toMatch(/^Disabled the security network on this machine: nothing more is sent\.\nThe cloud recorded the withdrawal at \S+\.\n$/);
    proxy.requests.length = 0;
    const after = await m.scan(['--no-summary', eicar, clean]);
    expect(after).toMatchObject({ code: 1, stdout: offline.stdout, stderr: '' });
    expect(proxy.requests).toEqual([]);
    expect((await m.network(['status'])).stdout).toMatch(/^Security network:  off: consent withdrawn on \S+ \(the cloud recorded it\)\n/);
  });

  it('reports a file the cloud knows as malicious as Vigil.Cloud.Malicious, exit 1, with the cloud flag in JSON', async () => {
    const c = await startLicenseCloud();
    const proxy = await startProxy(c.url);
    const m = await activatedMachine(c, proxy);
    const dropper = join(m.dir, 'dropper.bin');
    const content = randomBytes(4096);
    writeFileSync(dropper, content);
    const other = join(m.dir, 'notes.txt');
    writeFileSync(other, 'meeting notes\n');
    await c.call('PUT', `/v1/network/verdicts/${sha256(content)}`, { verdict: 'malicious', reason: 'seen in a campaign' });
    expect((await m.network(['enable'])).code).toBe(0);

    const text = await m.scan([dropper, other]);
    expect(text.stderr).toBe('');
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(`${dropper}: Vigil.Cloud.Malicious FOUND\n`);
    expect(text.stdout).toContain(`${other}: OK\n`);
    expect(text.stdout).toContain('\nInfected files: 1\n');
    const lookups = network(proxy, '/v1/network/lookups');
    expect(lookups).toHaveLength(1);
    expect(JSON.parse(lookups[0]!.raw).prefixes.sort()).toEqual([sha256(content).slice(0, 8), sha256('meeting notes\n').slice(0, 8)].sort());
    expect(lookups[0]!.raw).not.toContain(sha256(content));

    const json = await m.scan(['--json', dropper]);
    expect(json.code).toBe(1);
    const [line, summary] = json.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(line).toEqual({ path: dropper, result: 'infected', findings: [{ signature: 'Vigil.Cloud.Malicious', kind: 'cloud', path: dropper }], size: 4096, fileType: 'binary', cloud: true, source: 'operator', detectionNames: [] });
    expect(summary.summary.infectedFiles).toBe(1);
    expect(network(proxy, '/v1/network/lookups')).toHaveLength(1); // answered from the cache

    const skipped = await m.scan(['--no-cloud', '--no-summary', dropper]);
    expect(skipped).toMatchObject({ code: 0, stdout: `${dropper}: OK\n` });
    expect((await m.network(['status'])).stdout).toContain('Reputation cache:  1 hashes (1 malicious) in 2 buckets');
  });

  it('scans within the cloud timeout when the cloud hangs or is gone, and reports OK', async () => {
    const c = await startLicenseCloud();
    const proxy = await startProxy(c.url);
    const m = await activatedMachine(c, proxy);
    const file = join(m.dir, 'report.txt');
    writeFileSync(file, 'quarterly numbers\n');
    const eicar = join(m.dir, 'eicar.com');
    writeFileSync(eicar, EICAR);
    expect((await m.network(['enable'])).code).toBe(0);

    proxy.mode = 'hang';
    const hung = await m.scan(['--no-summary', '--cloud-timeout', '500', file]);
    expect(hung).toMatchObject({ code: 0, stdout: `${file}: OK\n`, stderr: '' });
    expect(hung.ms).toBeLessThan(10_000);
    const withDetection = await m.scan(['--no-summary', '--cloud-timeout', '500', file, eicar]);
    expect(withDetection).toMatchObject({ code: 1, stdout: `${file}: OK\n${eicar}: Win.Test.EICAR_HDB-1 FOUND\n`, stderr: '' });
    expect(withDetection.ms).toBeLessThan(10_000);
    const status = await m.network(['status']);
    expect(status.stdout).toContain('Queue:             1 event waiting');
    expect(status.stdout).toMatch(/Last error:        \S+ TIMEOUT: the cloud at http:\/\/127\.0\.0\.1:\d+ did not answer within 500 ms\n/);

    await proxy.stop();
    const gone = await m.scan(['--no-summary', file, eicar]); // the default timeout
    expect(gone).toMatchObject({ code: 1, stderr: '' });
    expect(gone.ms).toBeLessThan(10_000);
    const sync = await m.network(['sync', '--timeout', '1500']);
    expect(sync.code).toBe(1);
    expect(sync.stdout).toMatch(/^Sent 0 events in 0 batches\.\n2 events remain: the cloud could not take them \(cannot reach the cloud at \S+ \(ECONNREFUSED\)\); they stay queued and are sent later \(next automatic try after \S+\)\.\n$/);
    await proxy.start();
    proxy.mode = 'ok';
    const synced = await m.network(['sync']);
    expect(synced).toMatchObject({ code: 0, stdout: 'Sent 2 events in 1 batch.\n' });
    expect(await cloudEvents(c)).toEqual([{ sha256: sha256(EICAR), n: 2 }]);
  });

  it('stops collecting and look-ups where a jurisdiction rule denies them, keeps the queue, and says so', async () => {
    const c = await startLicenseCloud({ country: 'US', durationDays: 3000, soldAt: new Date('2024-07-01T00:00:00Z') });
    await c.call('POST', '/v1/policy/import', SCENARIO, 201);
    c.cloud.now.value = new Date();
    const proxy = await startProxy(c.url);
    const m = await activatedMachine(c, proxy);
    const eicar = join(m.dir, 'eicar.com');
    writeFileSync(eicar, EICAR);
    const clean = join(m.dir, 'clean.txt');
    writeFileSync(clean, 'nothing to see here\n');
    expect((await m.network(['enable'])).code).toBe(0);

    const first = await m.scan(['--no-summary', eicar, clean]);
    expect(first.code).toBe(1);
    expect(first.stdout).toBe(`${eicar}: Win.Test.EICAR_HDB-1 FOUND\n${clean}: OK\n`);
    const notices = first.stderr.trimEnd().split('\n');
    expect(notices).toHaveLength(2);
    expect(notices[0]).toMatch(/^NOTICE: Vigil stopped reputation look-ups in the security network on \S+: a jurisdiction rule stops it since 2024-09-29T04:00:00\.000Z: .+\. The local reputation cache is still used\. See "vigil network status"\.$/);
    expect(notices[1]).toMatch(/^NOTICE: Vigil stopped sending detection reports to the security network on \S+: a jurisdiction rule stops it since 2024-09-29T04:00:00\.000Z: .+\. Reports already queued are kept and not sent\. See "vigil network status"\.$/);
    expect(network(proxy, '/v1/network/events').map((r) => r.status)).toEqual([403]);
    expect(await cloudEvents(c)).toEqual([]);

    proxy.requests.length = 0;
    const second = await m.scan(['--no-summary', eicar, clean]);
    expect(second).toMatchObject({ code: 1, stdout: first.stdout, stderr: '' }); // told once
    expect(proxy.requests).toEqual([]); // nothing more is asked or sent

    const status = await m.network(['status']);
    expect(status.stdout).toContain('Queue:             1 event waiting');
    expect(status.stdout).toContain('Dropped:           0\n');
    expect(status.stdout).toMatch(/Collection:        stopped on \S+: a jurisdiction rule stops it; queued events are kept, not sent\n  What stopped: sending detection reports to the security network\n  Since:        2024-09-29T04:00:00\.000Z\n  Why:          .+\n  Reference:    U\.S\. Department of Commerce/);
    expect(status.stdout).toMatch(/Look-ups:          stopped on \S+: a jurisdiction rule stops it; the local cache is still used\n  What stopped: reputation look-ups in the security network\n/);
    const sync = await m.network(['sync']);
    expect(sync.code).toBe(1);
    expect(sync.stdout).toMatch(/^Sent 0 events in 0 batches\.\n1 event remains: collection is stopped: a jurisdiction rule stops it \(.+\)\.\n  What stopped: sending detection reports to the security network\n/);
    expect(proxy.requests).toEqual([]);
  });

  it('delivers every event exactly once while the cloud goes down mid-stream and comes back', async () => {
    const c = await startLicenseCloud();
    const proxy = await startProxy(c.url);
    const m = await activatedMachine(c, proxy);
    const files = Array.from({ length: 1200 }, (_, i) => randomBytes(64 + (i % 7)));
    const hdb = files.map((f, i) => `${createHash('md5').update(f).digest('hex')}:${f.length}:Test.Net.${i}`).join('\n');
    const db = join(m.dir, '..', 'net.hdb');
    writeFileSync(db, `${hdb}\n`);
    files.forEach((f, i) => writeFileSync(join(m.dir, `sample-${i}.bin`), f));
    expect((await m.network(['enable'])).code).toBe(0);

    // The first batch goes through; the cloud takes the second but the answer is lost; then it is gone.
    proxy.eventModes = ['ok', 'lose-ack'];
    proxy.mode = 'reset';
    const scan = await m.scan(['-d', db, '-i', '--no-summary', '--cloud-timeout', '20000', m.dir]);
    expect(scan.code).toBe(1);
    expect(scan.stdout.trim().split('\n')).toHaveLength(1200);
    expect(scan.stderr).toBe('');
    expect(network(proxy, '/v1/network/events').map((r) => r.status)).toEqual([200, 200]);
    expect((await cloudEvents(c)).length).toBe(1000); // two batches of 500 arrived

    await proxy.stop();
    const down = await m.network(['sync', '--timeout', '2000']);
    expect(down.code).toBe(1);
    expect(down.stdout).toContain('700 events remain: the cloud could not take them');

    await proxy.start();
    proxy.mode = 'ok';
    const back = await m.network(['sync']);
    expect(back).toMatchObject({ code: 0, stdout: 'Sent 700 events in 2 batches (1 the cloud already had).\n', stderr: '' });
    const received = await cloudEvents(c);
    expect(received).toHaveLength(1200);
    expect(received.every((r) => r.n === 1)).toBe(true);
    expect(received.map((r) => r.sha256).sort()).toEqual(files.map((f) => sha256(f)).sort());
    const status = JSON.parse((await m.network(['status', '--json'])).stdout);
    expect(status.queue).toMatchObject({ events: 0, acknowledged: 1200, duplicateBatches: 1 });
  });

  it('reports executables that neither the engine nor the cloud knows only with consent for them, once a week', async () => {
    const c = await startLicenseCloud();
    const proxy = await startProxy(c.url);
    const m = await activatedMachine(c, proxy);
    const elf = join(m.dir, 'tool');
    const pe = join(m.dir, 'setup.exe');
    const known = join(m.dir, 'known.exe');
    const text = join(m.dir, 'readme.txt');
    writeFileSync(elf, Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]), randomBytes(200)]));
    writeFileSync(pe, Buffer.concat([Buffer.from('MZ'), randomBytes(300)]));
    const knownBytes = Buffer.concat([Buffer.from('MZ'), randomBytes(300)]);
    writeFileSync(known, knownBytes);
    writeFileSync(text, 'read me first\n');
    await c.call('PUT', `/v1/network/verdicts/${sha256(knownBytes)}`, { verdict: 'clean', reason: 'our own installer' });
    expect((await m.network(['enable'])).code).toBe(0);
    expect((await m.scan(['--no-summary', m.dir])).code).toBe(0);
    expect(network(proxy, '/v1/network/events')).toEqual([]); // detections only: nothing to report

    const enabled = await m.network(['enable', '--unknown-executables']);
    expect(enabled.stdout).toMatch(/^Enabled the security network for detections, unknown executables: /);
    const scan = await m.scan(['--no-summary', m.dir]);
    expect(scan).toMatchObject({ code: 0, stderr: '' });
    expect(scan.stdout.trim().split('\n').sort()).toEqual([`${known}: OK`, `${pe}: OK`, `${text}: OK`, `${elf}: OK`].sort());
    const [events] = network(proxy, '/v1/network/events');
    const sent = (JSON.parse(events!.raw) as { events: Record<string, unknown>[] }).events;
    expect(sent.map((e) => [e['kind'], e['file_type'], e['sha256'], e['detection']]).sort()).toEqual(
      [
        ['unknown-executable', 'elf', sha256(readFileSync(elf)), null],
        ['unknown-executable', 'pe', sha256(readFileSync(pe)), null],
      ].sort(),
    );
    expect((await m.scan(['--no-summary', m.dir])).code).toBe(0);
    expect(network(proxy, '/v1/network/events')).toHaveLength(1); // not again within the week
  });

  it('answers --help for every sub-command and exits 2 on usage errors', async () => {
    const help = await vigil(['network', '--help']);
    expect(help.code).toBe(0);
    for (const sub of ['enable', 'disable', 'status', 'sync']) {
      const r = await vigil(['network', sub, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Usage: vigil network ${sub}`);
    }
    expect((await vigil(['network', 'enable', '--help'])).stdout).toContain('Never file contents, paths, file names or user names.');
    expect((await vigil(['scan', '--help'])).stdout).toContain('--no-cloud');
    expect((await vigil(['network', 'sync', '--timeout', 'soon'])).code).toBe(2);
    expect((await vigil(['network', 'enable', '--max-queue', '5'])).code).toBe(2);
    expect((await vigil(['scan', '--cloud-timeout', '0', '.'])).code).toBe(2);
    const d = tempDir('vigil-netcli-');
    cleanups.push(d.cleanup);
    const none = await vigil(['network', 'enable', '--agent-dir', join(d.path, 'agent')]);
    expect(none.code).toBe(1);
    expect(none.stderr).toBe('ERROR: this machine has no license; activate one with "vigil license activate KEY"\n');
  });
});
