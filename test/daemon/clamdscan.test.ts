// Debian's real clamdscan pointed at `vigil daemon` (the built CLI, started with a clamd.conf) and at
// Debian's real clamd on the same database: same output lines and exit codes for SCAN/CONTSCAN,
// MULTISCAN, ALLMATCHSCAN and --stream. Also the daemon process itself: warnings for unsupported
// options, SIGUSR2 reload, SIGTERM shutdown.
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, hasCommand, run } from '../helpers/cli.js';
import { ask, chunk, EICAR_SIGNATURE, lengthField, makeFixture, LATE, LATE_SIGNATURE, type Fixture } from './daemon-helpers.js';

const CLAMD = hasCommand('clamd') ? 'clamd' : existsSync('/usr/sbin/clamd') ? '/usr/sbin/clamd' : null;
const HAVE_CLAMD = CLAMD !== null && hasCommand('clamdscan');
const IN_CI = Boolean(process.env.CI);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitForPong(target: { port: number } | { path: string }, what: string, proc: ChildProcess, ms = 30_000): Promise<void> {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    if (proc.exitCode !== null) throw new Error(`${what} exited with code ${proc.exitCode}`);
    try {
      if ((await ask(target, 'zPING\0')) === 'PONG\0') return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not answer PING within ${ms} ms`);
}

function stop(proc: ChildProcess | undefined): Promise<void> {
  if (proc?.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    proc.once('exit', () => { resolve(); });
    proc.kill('SIGTERM');
    setTimeout(() => proc.kill('SIGKILL'), 10_000).unref();
  });
}

/** Result lines of clamdscan, without the summary, sorted (folder walks may differ in order). */
function lines(stdout: string): string[] {
  const cut = stdout.indexOf('\n----------- SCAN SUMMARY');
  return (cut >= 0 ? stdout.slice(0, cut) : stdout).split('\n').filter(Boolean).sort();
}

describe.skipIf(!HAVE_CLAMD && !IN_CI)('clamdscan against vigil daemon and clamd (skipped when clamd/clamdscan are not installed, outside CI)', () => {
  let fx: Fixture;
  let clamd: ChildProcess | undefined;
  let vigil: ChildProcess | undefined;
  let clamdConf: string;
  let vigilConf: string;
  let vigilLocalConf: string;

  beforeAll(async () => {
    if (!HAVE_CLAMD) throw new Error('clamd and clamdscan are required in CI: scripts/test-setup.mjs and .ci/run install clamav-daemon and clamdscan');
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run 'npm run build' (npm test does it)`);
    fx = makeFixture();
    const [clamdPort, vigilPort] = [await freePort(), await freePort()];
    const common = `DatabaseDirectory ${fx.db}\nForeground yes\nTCPAddr 127.0.0.1\nStreamMaxLength 10M\n`;
    writeFileSync(join(fx.root, 'clamd.conf'), `${common}TCPSocket ${clamdPort}\nLocalSocket ${fx.root}/clamd.sock\nLogFile ${fx.root}/clamd.log\nPidFile ${fx.root}/clamd.pid\n`);
    // An option Vigil does not implement, to see it named at start.
    writeFileSync(join(fx.root, 'vigil.conf'), `${common}TCPSocket ${vigilPort}\nLocalSocket ${fx.root}/vigil.sock\nLogFile ${fx.root}/vigil.log\nPidFile ${fx.root}/vigil.pid\nScanPE yes\n`);
    clamdConf = join(fx.root, 'clamdscan-clamd.conf');
    vigilConf = join(fx.root, 'clamdscan-vigil.conf');
    vigilLocalConf = join(fx.root, 'clamdscan-vigil-local.conf');
    writeFileSync(clamdConf, `TCPSocket ${clamdPort}\nTCPAddr 127.0.0.1\n`);
    writeFileSync(vigilConf, `TCPSocket ${vigilPort}\nTCPAddr 127.0.0.1\n`);
    writeFileSync(vigilLocalConf, `LocalSocket ${fx.root}/vigil.sock\n`);
    clamd = spawn(CLAMD, [`--config-file=${join(fx.root, 'clamd.conf')}`], { stdio: 'ignore' });
    vigil = spawn(process.execPath, [CLI, 'daemon', '--config-file', join(fx.root, 'vigil.conf'), '--no-cache'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let vigilStderr = '';
    vigil.stderr!.on('data', (b: Buffer) => (vigilStderr += b.toString()));
    await Promise.all([waitForPong({ port: clamdPort }, 'clamd', clamd), waitForPong({ port: vigilPort }, 'vigil daemon', vigil)]);
    expect(vigilStderr).toContain('ScanPE is not supported by Vigil and has no effect');
  }, 90_000);

  afterAll(async () => {
    await Promise.all([stop(clamd), stop(vigil)]);
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unassigned when beforeAll failed
    fx?.cleanup();
  });

  const both = (args: string[], conf = vigilConf) => {
    const ours = run('clamdscan', [`--config-file=${conf}`, '--no-summary', ...args]);
    const theirs = run('clamdscan', [`--config-file=${clamdConf}`, '--no-summary', ...args]);
    return { ours, theirs };
  };

  it.each([
    ['SCAN of an infected file', (f: Fixture) => [`${f.files}/eicar.com`]],
    ['SCAN of a clean file', (f: Fixture) => [`${f.files}/clean.txt`]],
    ['CONTSCAN of a folder tree', (f: Fixture) => [`${f.root}/tree`]],
    ['CONTSCAN of a clean folder', (f: Fixture) => [`${f.root}/clean`]],
    ['several paths', (f: Fixture) => [`${f.files}/eicar.com`, `${f.files}/clean.txt`, `${f.root}/clean`]],
    ['MULTISCAN (-m)', (f: Fixture) => ['-m', `${f.root}/tree`]],
    ['ALLMATCHSCAN (--allmatch)', (f: Fixture) => ['--allmatch', `${f.files}/both.txt`, `${f.files}/eicar.com`]],
    ['INSTREAM (--stream)', (f: Fixture) => ['--stream', `${f.files}/eicar.com`, `${f.files}/clean.txt`, `${f.files}/marker.txt`]],
    ['INSTREAM in an IDSESSION (--stream -m)', (f: Fixture) => ['--stream', '-m', `${f.root}/tree`, `${f.files}/clean.txt`]],
  ])('%s: same lines and exit code', (_name, argsOf) => {
    const { ours, theirs } = both(argsOf(fx));
    expect(theirs.code, theirs.stderr).not.toBe(2);
    expect(lines(ours.stdout)).toEqual(lines(theirs.stdout));
    expect(ours.code).toBe(theirs.code);
  });

  it('works over the Unix socket named by LocalSocket', () => {
    const { ours, theirs } = both([`${fx.files}/eicar.com`, `${fx.root}/tree`], vigilLocalConf);
    expect(lines(ours.stdout)).toEqual(lines(theirs.stdout));
    expect(ours.code).toBe(1);
  });

  it('clamdscan --ping and --version work', () => {
    expect(run('clamdscan', [`--config-file=${vigilConf}`, '--ping', '1']).stdout.trim()).toBe('PONG');
    const v = run('clamdscan', [`--config-file=${vigilConf}`, '--version']);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^Vigil /);
  });
});

describe.skipIf(!existsSync(CLI) && !IN_CI)('the vigil daemon process (built CLI)', () => {
  it('reloads on SIGUSR2, warns about unsupported options and stops cleanly on SIGTERM', async () => {
    const fx = makeFixture();
    const sock = join(fx.root, 'd.sock');
    const log = join(fx.root, 'daemon.log');
    const conf = join(fx.root, 'vigil.conf');
    writeFileSync(conf, `LocalSocket ${sock}\nDatabaseDirectory ${fx.db}\nLogFile ${log}\nPidFile ${fx.root}/d.pid\nUser clamav\nForeground yes\n`);
    const proc = spawn(process.execPath, [CLI, 'daemon', '-c', conf, '--no-cache'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    proc.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    try {
      await waitForPong({ path: sock }, 'vigil daemon', proc);
      expect(stderr).toContain(`${conf}:5: warning: User is not supported by Vigil and has no effect`);
      expect(readFileSync(join(fx.root, 'd.pid'), 'utf8').trim()).toBe(String(proc.pid));
      const late = chunk(`.. ${LATE} ..`);
      expect(await ask({ path: sock }, 'zINSTREAM\0', late, lengthField(0))).toBe('stream: OK\0');
      appendFileSync(join(fx.db, 'test.ndb'), `Vigil.Test.Late:0:*:${Buffer.from(LATE).toString('hex')}\n`);
      proc.kill('SIGUSR2');
      const until = performance.now() + 20_000;
      while (!readFileSync(log, 'utf8').includes('Database correctly reloaded') && performance.now() < until) await new Promise((r) => setTimeout(r, 100));
      expect(await ask({ path: sock }, 'zINSTREAM\0', late, lengthField(0))).toBe(`stream: ${LATE_SIGNATURE} FOUND\0`);
      expect(await ask({ path: sock }, `zSCAN ${fx.files}/eicar.com\0`)).toBe(`${fx.files}/eicar.com: ${EICAR_SIGNATURE} FOUND\0`);
      const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
      proc.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(existsSync(sock)).toBe(false);
      expect(existsSync(join(fx.root, 'd.pid'))).toBe(false);
    } finally {
      await stop(proc);
      fx.cleanup();
    }
  }, 60_000);

  it('reports malformed clamd.conf lines with file:line and exits 2', () => {
    const fx = makeFixture();
    try {
      const conf = join(fx.root, 'bad.conf');
      writeFileSync(conf, 'TCPSocket 3310\nMaxThreads lots\nNoSuchOption yes\n');
      const r = run(process.execPath, [CLI, 'daemon', '--config-file', conf]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`${conf}:2: error: MaxThreads: expected a whole number, got 'lots'`);
      expect(r.stderr).toContain(`${conf}:3: error: unknown option 'NoSuchOption'`);
    } finally {
      fx.cleanup();
    }
  });

  it('has --help', () => {
    const r = run(process.execPath, [CLI, 'daemon', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--config-file');
  });
});
