// The quarantine's crash safety with real processes: `vigil scan --quarantine` killed with SIGKILL
// at every step of a move (VIGIL_QUARANTINE_CRASH_AT) and at random moments, and recovery killed
// too. Every time, each file must be at its origin, unchanged, or in quarantine as an entry that
// decrypts to exactly its bytes; never neither, never damaged; and after recovery, not both.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decryptEntry } from '../../../src/agent/quarantine/entry-file.js';
import { CRASH_ENV, CRASH_POINTS, Quarantine, quarantinePaths, type CrashPoint } from '../../../src/agent/quarantine/index.js';
import { readKey } from '../../../src/agent/quarantine/quarantine-key.js';
import { tempDir } from '../../helpers/cli.js';
import { VIGIL_ENTRY, vigilQ } from './cli-entry.js';

const MARKER = 'VIGIL-CRASH-TEST-MARKER';
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

interface Setup {
  dir: string;
  agentDir: string;
  files: Map<string, Buffer>;
  env: NodeJS.ProcessEnv;
}

/** A folder of infected files (a marker signature of a local database) and an empty agent folder. */
function setup(sizes: number[]): Setup {
  const tmp = tempDir('vigil-crash-');
  cleanups.push(tmp.cleanup);
  const dir = tmp.path;
  mkdirSync(join(dir, 'db'));
  writeFileSync(join(dir, 'db/marker.ndb'), `Vigil.Test.CrashMarker:0:*:${Buffer.from(MARKER).toString('hex')}\n`);
  mkdirSync(join(dir, 'files'));
  const files = new Map<string, Buffer>();
  sizes.forEach((size, i) => {
    const content = Buffer.concat([Buffer.from(MARKER), randomBytes(size)]);
    const path = join(dir, 'files', `infected-${i}.bin`);
    writeFileSync(path, content);
    files.set(path, content);
  });
  const agentDir = join(dir, 'agent');
  return { dir, agentDir, files, env: { VIGIL_AGENT_DIR: agentDir, VIGIL_CACHE_DIR: join(dir, 'cache') } };
}

function scanArgs(s: Setup): string[] {
  return ['scan', '--quarantine', '--no-summary', '-d', join(s.dir, 'db'), join(s.dir, 'files')];
}

/** Where each file is now, checked against its original bytes; `settled`: also not in both places, nothing half-done left. */
function checkInvariant(s: Setup, settled: boolean): Map<string, 'origin' | 'quarantine'> {
  const paths = quarantinePaths(s.agentDir);
  if (settled) Quarantine.open(s.agentDir); // runs recovery
  const entries = existsSync(paths.entries) ? readdirSync(paths.entries).filter((n) => /^[0-9a-f]{16}\.vq$/.test(n)) : [];
  const byOrigin = new Map<string, string[]>();
  for (const name of entries) {
    const id = name.slice(0, 16);
    const raw = readFileSync(join(paths.entries, name));
    const origin = (JSON.parse(raw.subarray(12, 12 + raw.readUInt32BE(8)).toString('utf8')) as { originalPath: string }).originalPath;
    byOrigin.set(origin, [...(byOrigin.get(origin) ?? []), id]);
  }
  const where = new Map<string, 'origin' | 'quarantine'>();
  for (const [path, content] of s.files) {
    const atOrigin = existsSync(path);
    if (atOrigin) expect(sha256(readFileSync(path)), `${path} damaged`).toBe(sha256(content));
    const ids = byOrigin.get(path) ?? [];
    // Each entry must decrypt (tag and recorded SHA-256 checked) to exactly the file's bytes.
    for (const id of ids) expect(sha256(decrypted(s.agentDir, id)), `entry ${id} of ${path}`).toBe(sha256(content));
    expect(atOrigin || ids.length > 0, `${path} is neither at its origin nor in quarantine`).toBe(true);
    if (settled) {
      expect(atOrigin && ids.length > 0, `${path} is both at its origin and in quarantine after recovery`).toBe(false);
      expect(ids.length).toBeLessThanOrEqual(1);
    }
    where.set(path, atOrigin ? 'origin' : 'quarantine');
  }
  if (settled) {
    expect(existsSync(paths.journal) ? readdirSync(paths.journal) : []).toEqual([]);
    expect((existsSync(paths.entries) ? readdirSync(paths.entries) : []).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  }
  return where;
}

/** An entry's plaintext, read without opening the quarantine (which would run recovery first). */
function decrypted(agentDir: string, id: string): Buffer {
  const paths = quarantinePaths(agentDir);
  const key = readKey(paths.root);
  expect(key, 'an entry exists without a key').not.toBeNull();
  const chunks: Buffer[] = [];
  decryptEntry(join(paths.entries, `${id}.vq`), id, key!, (c) => chunks.push(Buffer.from(c)));
  return Buffer.concat(chunks);
}

describe('quarantine moves killed at every step', () => {
  const moveSteps = CRASH_POINTS.filter((p) => p.startsWith('move-'));
  const quarantinedFrom = moveSteps.indexOf('move-after-rename');

  for (const [label, size] of [['a small file', 100], ['a file of several chunks', 3 * 1024 * 1024]] as const) {
    it(`leaves ${label} whole at its origin or in quarantine, whichever step the kill hits`, () => {
      for (const [i, step] of moveSteps.entries()) {
        const s = setup([size]);
        const r = vigilQ(scanArgs(s), { env: { ...s.env, [CRASH_ENV]: step } });
        expect(r.code, `${step}: ${r.stderr}`).toBe(-1); // killed by a signal
        checkInvariant(s, false);
        const where = checkInvariant(s, true);
        expect([...where.values()], step).toEqual([i >= quarantinedFrom ? 'quarantine' : 'origin']);
        cleanups.splice(0).forEach((c) => c());
      }
    });
  }

  it('finishes the move when recovery itself is killed, at each of its steps', () => {
    const s = setup([2000]);
    expect(vigilQ(scanArgs(s), { env: { ...s.env, [CRASH_ENV]: 'move-after-entry-synced' } }).code).toBe(-1);
    for (const step of ['recover-after-verify', 'recover-after-unlink'] satisfies CrashPoint[]) {
      const r = vigilQ(['quarantine', 'list'], { env: { ...s.env, [CRASH_ENV]: step } });
      expect(r.code, `${step}: ${r.stderr}`).toBe(-1);
      checkInvariant(s, false);
    }
    const list = vigilQ(['quarantine', 'list', '--json'], { env: s.env });
    expect(list.stderr).toMatch(/settled 1 quarantine move\(s\) interrupted by a crash \(1 completed, 0 rolled back\)/);
    expect((JSON.parse(list.stdout) as { entries: unknown[] }).entries).toHaveLength(1);
    expect([...checkInvariant(s, true).values()]).toEqual(['quarantine']);
  });
});

describe('quarantine moves killed at random moments', () => {
  function runAndKill(s: Setup, afterMs: number | null): Promise<{ code: number | null; signal: string | null }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [VIGIL_ENTRY, ...scanArgs(s)], { env: { ...process.env, ...s.env }, stdio: 'ignore' });
      const timer = afterMs === null ? null : setTimeout(() => child.kill('SIGKILL'), afterMs);
      child.once('error', reject);
      child.once('exit', (code, signal) => {
        if (timer) clearTimeout(timer);
        resolve({ code, signal });
      });
    });
  }

  it('keeps every file whole through 12 kills spread over a scan that quarantines 12 files', async () => {
    const sizes = Array.from({ length: 12 }, () => 600 * 1024);
    const calibrate = setup(sizes);
    const t0 = Date.now();
    const full = await runAndKill(calibrate, null);
    const fullMs = Date.now() - t0;
    expect(full.code).toBe(1);
    expect([...checkInvariant(calibrate, true).values()].every((w) => w === 'quarantine')).toBe(true);
    const outcomes: string[] = [];
    for (let run = 0; run < 12; run++) {
      const s = setup(sizes);
      // Start-up (loading Node and the database) takes much of the run: aim the kills at the rest.
      const at = Math.round(fullMs * (0.3 + (0.7 * run) / 12));
      const r = await runAndKill(s, at);
      checkInvariant(s, false);
      const where = checkInvariant(s, true);
      outcomes.push(`${at}ms:${String(r.signal ?? r.code)}:${[...where.values()].filter((w) => w === 'quarantine').length}`);
    }
    // Not an assertion on timing: just shown when something fails.
    if (process.env.VIGIL_TEST_DEBUG) console.log(outcomes.join(" "));
    expect(outcomes).toHaveLength(12);
  }, 180_000);
});
