// `vigil watch` as a user runs it: a real child process watching real folders, stopped by signals.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { VIGIL_ENTRY, vigilQ } from '../agent/quarantine/cli-entry.js';
import { EICAR, tempDir } from '../helpers/cli.js';
import { buildTar, buildZip, gzip } from '../engine/containers/samples.js';

const tmp = tempDir('vigil-watch-cli-');
afterAll(() => tmp.cleanup());
let n = 0;
const running: ChildProcess[] = [];
afterEach(() => {
  for (const c of running.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

interface Watch {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  /** Resolves when `test` holds of stdout, checked as output arrives. */
  waitFor: (test: (stdout: string) => boolean, timeoutMs: number, what: string) => Promise<void>;
  stop: (signal: NodeJS.Signals) => Promise<number | null>;
}

function caseDir(): { dir: string; env: NodeJS.ProcessEnv } {
  const dir = join(tmp.path, `case-${++n}`);
  mkdirSync(join(dir, 'w'), { recursive: true });
  return { dir, env: { VIGIL_AGENT_DIR: join(dir, 'agent'), VIGIL_CACHE_DIR: join(tmp.path, 'cache') } };
}

async function startWatch(args: string[], env: NodeJS.ProcessEnv): Promise<Watch> {
  const child = spawn(process.execPath, [VIGIL_ENTRY, 'watch', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  running.push(child);
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    stdout += s;
    for (const l of listeners) l();
  });
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    stderr += s;
    for (const l of listeners) l();
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const waitUntil = (test: () => boolean, timeoutMs: number, what: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!test()) return;
        listeners.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`timed out waiting for ${what}\nstderr: ${stderr.slice(-2000)}\nstdout tail: ${stdout.slice(-2000)}`));
      }, timeoutMs);
      listeners.add(check);
      void exited.then(() => setTimeout(check, 10));
      check();
    });
  await waitUntil(() => /^Watching \d+ folder/m.test(stderr), 30_000, '"Watching"');
  return {
    child,
    out: () => stdout,
    err: () => stderr,
    waitFor: (test, timeoutMs, what) => waitUntil(() => test(stdout), timeoutMs, what),
    stop: async (signal) => {
      child.kill(signal);
      return exited;
    },
  };
}

/** CPU seconds (user + system) the process has used, from /proc. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of proc(5) (utime, stime), counted from the state field (3) here.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('vigil watch', () => {
  it('scans every one of 10,000 files created in a burst, in new sub-folders too, and reports every infected one', async () => {
    const { dir, env } = caseDir();
    const root = join(dir, 'w');
    const w = await startWatch(['--debounce', '100', root], env);
    const files: string[] = [];
    const infected = new Set<string>();
    for (let d = 0; d < 20; d++) {
      // Half the folders are nested two deep, created and filled at once.
      const folder = d % 2 === 0 ? join(root, `d${d}`) : join(root, `d${d}`, 'sub', 'deeper');
      mkdirSync(folder, { recursive: true });
      for (let f = 0; f < 490; f++) {
        const path = join(folder, `f${f}.txt`);
        const bad = (d * 490 + f) % 100 === 7;
        writeFileSync(path, bad ? EICAR : `clean file ${d}/${f}\n`);
        files.push(path);
        if (bad) infected.add(path);
      }
    }
    for (let f = 0; f < 200; f++) {
      const path = join(root, `top${f}.bin`);
      writeFileSync(path, f % 50 === 0 ? EICAR : `top ${f}`);
      if (f % 50 === 0) infected.add(path);
      files.push(path);
    }
    expect(files).toHaveLength(10_000);
    // Parsed as it arrives (parsing all of stdout on every chunk would be quadratic).
    const scanned = new Set<string>();
    let parsed = 0;
    const seen = () => {
      const out = w.out();
      const end = out.lastIndexOf('\n') + 1;
      for (const line of out.slice(parsed, end).split('\n')) {
        const m = /^(.*): (OK|Win\.Test\.EICAR_HDB-1 FOUND)$/.exec(line);
        if (m) scanned.add(m[1]!);
      }
      parsed = Math.max(parsed, end);
      return scanned;
    };
    const written = Date.now();
    await w.waitFor(() => seen().size >= files.length, 150_000, 'all 10,000 files to be scanned');
    if (process.env.VIGIL_TEST_DEBUG) console.log(`all scanned ${Date.now() - written} ms after the last write`);
    const lines = w.out().split('\n');
    const found = new Set(lines.filter((l) => l.endsWith(': Win.Test.EICAR_HDB-1 FOUND')).map((l) => l.slice(0, l.indexOf(': Win'))));
    expect([...infected].filter((p) => !found.has(p))).toEqual([]);
    expect(files.filter((p) => !seen().has(p))).toEqual([]);
    expect(infected.size).toBe(102);
    expect(await w.stop('SIGINT')).toBe(1);
    expect(w.err()).toContain('Stopped by SIGINT');
    expect(w.out()).toMatch(/----------- WATCH SUMMARY -----------\nKnown viruses: \d+\nScanned files: \d+\nInfected files: \d+\nTime: /);
    expect(Number(/Scanned files: (\d+)/.exec(w.out())![1])).toBeGreaterThanOrEqual(10_000);
  }, 200_000);

  it('uses next to no CPU while nothing changes', async () => {
    const { dir, env } = caseDir();
    const root = join(dir, 'w');
    for (let d = 0; d < 200; d++) {
      mkdirSync(join(root, `d${d}`, 'e'), { recursive: true });
      for (let f = 0; f < 5; f++) writeFileSync(join(root, `d${d}`, 'e', `f${f}`), 'x');
    }
    const w = await startWatch([root], env);
    expect(w.err()).toMatch(/Watching 401 folder\(s\)/);
    await sleep(1000); // start-up work (JIT, garbage collection) settles
    const before = cpuSeconds(w.child.pid!);
    await sleep(3000);
    const used = cpuSeconds(w.child.pid!) - before;
    expect(used).toBeLessThan(0.1);
    // And it is still alive and watching.
    writeFileSync(join(root, 'd17', 'e', 'late.com'), EICAR);
    await w.waitFor((o) => o.includes(`${join(root, 'd17', 'e', 'late.com')}: Win.Test.EICAR_HDB-1 FOUND`), 20_000, 'the late file');
    expect(await w.stop('SIGTERM')).toBe(1);
  }, 60_000);

  it('applies --exclude and --exclude-dir, scans changed files, and quarantines with --move-to-quarantine', async () => {
    const { dir, env } = caseDir();
    const root = join(dir, 'w');
    writeFileSync(join(root, 'old.txt'), 'harmless for now');
    mkdirSync(join(root, 'skipme'));
    const w = await startWatch(['--move-to-quarantine', '--exclude', '\\.log$', '--exclude-dir', 'skipme', '--debounce', '50', root], env);
    expect(w.err()).toMatch(/moving infected files to quarantine/);
    writeFileSync(join(root, 'a.log'), EICAR);
    writeFileSync(join(root, 'skipme', 'x.com'), EICAR);
    mkdirSync(join(root, 'new'));
    writeFileSync(join(root, 'new', 'x.com'), EICAR);
    await w.waitFor((o) => /new\/x\.com: quarantined as [0-9a-f]{16}/.test(o), 20_000, 'new/x.com quarantined');
    writeFileSync(join(root, 'old.txt'), EICAR); // a changed file
    await w.waitFor((o) => o.includes('old.txt: quarantined as'), 20_000, 'old.txt quarantined');
    expect(await w.stop('SIGTERM')).toBe(1);
    const out = w.out();
    expect(out).toContain(`${join(root, 'new', 'x.com')}: Win.Test.EICAR_HDB-1 FOUND\n`);
    expect(out).not.toContain('a.log');
    expect(out).not.toContain('skipme');
    expect(out).toMatch(/Infected files: 2\nQuarantined files: 2\n/);
    expect(w.err()).toContain('Stopped by SIGTERM');
    expect(existsSync(join(root, 'new', 'x.com'))).toBe(false);
    expect(existsSync(join(root, 'a.log'))).toBe(true);
    const list = JSON.parse(vigilQ(['quarantine', 'list', '--json'], { env }).stdout);
    expect(list.entries.map((e: { originalPath: string }) => e.originalPath).sort()).toEqual([join(root, 'new', 'x.com'), join(root, 'old.txt')]);
  }, 60_000);

  it('does not scan what was there before it started, and exits 0 when nothing was found', async () => {
    const { dir, env } = caseDir();
    const root = join(dir, 'w');
    writeFileSync(join(root, 'old.com'), EICAR);
    // Older than the start-up slack: not new to the watch.
    const past = new Date(Date.now() - 60_000);
    utimesSync(join(root, 'old.com'), past, past);
    await sleep(2100); // ctime (set by utimes) must also be older than the slack
    const w = await startWatch(['--debounce', '50', root], env);
    writeFileSync(join(root, 'clean.txt'), 'clean');
    await w.waitFor((o) => o.includes('clean.txt: OK'), 20_000, 'clean.txt');
    expect(await w.stop('SIGINT')).toBe(0);
    expect(w.out()).not.toContain('old.com');
  }, 60_000);

  it('honours the --alert-* options as vigil scan does', async () => {
    const { dir, env } = caseDir();
    const root = join(dir, 'w');
    const w = await startWatch(['--debounce', '50', '--max-recursion', '2', '--alert-exceeds-max', '--alert-encrypted', root], env);
    writeFileSync(join(root, 'files.tar.gz'), gzip(buildTar([{ name: 'docs/report.zip', data: buildZip([{ name: 'macro.bin', data: Buffer.from(EICAR) }]) }])));
    writeFileSync(join(root, 'locked.zip'), buildZip([{ name: 'secret.bin', data: Buffer.from('hidden'), encrypted: true }]));
    await w.waitFor((o) => o.includes('files.tar.gz: ') && o.includes('locked.zip: '), 20_000, 'both archives');
    expect(await w.stop('SIGTERM')).toBe(1);
    expect(w.out()).toContain(`${join(root, 'files.tar.gz')}: Heuristics.Limits.Exceeded.MaxRecursion FOUND\n`);
    expect(w.out()).toContain(`${join(root, 'locked.zip')}: Heuristics.Encrypted.Zip FOUND\n`);
  }, 60_000);

  it('refuses missing paths and files, and has --help', () => {
    const { dir, env } = caseDir();
    writeFileSync(join(dir, 'file'), 'x');
    const missing = vigilQ(['watch', join(dir, 'nope')], { env });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`ERROR: ${join(dir, 'nope')}: No such file or directory\n`);
    expect(vigilQ(['watch', join(dir, 'file')], { env }).stderr).toMatch(/not a folder/);
    const help = vigilQ(['watch', '--help'], { env });
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: vigil watch \[options\] <paths\.\.\.>/);
    expect(help.stdout).toMatch(/--exclude-dir[\s\S]*--max-filesize[\s\S]*--move-to-quarantine/);
    for (const flag of ['--alert-exceeds-max', '--alert-encrypted', '--no-heuristic-alerts', '--max-scantime', '--max-compression-ratio']) expect(help.stdout).toContain(flag);
  });
});
