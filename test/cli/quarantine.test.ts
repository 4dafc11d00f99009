// `vigil scan --quarantine` and `vigil quarantine list|show|restore|delete` as a user runs them.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { vigilQ } from '../agent/quarantine/cli-entry.js';
import { EICAR, resultLines, tempDir } from '../helpers/cli.js';

const tmp = tempDir('vigil-quarantine-cli-');
afterAll(() => tmp.cleanup());
let n = 0;
let dir: string;
let env: NodeJS.ProcessEnv;
beforeEach(() => {
  dir = join(tmp.path, `case-${++n}`);
  mkdirSync(join(dir, 'files'), { recursive: true });
  writeFileSync(join(dir, 'files/eicar.com'), EICAR);
  chmodSync(join(dir, 'files/eicar.com'), 0o754);
  writeFileSync(join(dir, 'files/clean.txt'), 'nothing to see here\n');
  env = { VIGIL_AGENT_DIR: join(dir, 'agent'), VIGIL_CACHE_DIR: join(tmp.path, 'cache') };
});

const vigil = (args: string[]) => vigilQ(args, { cwd: dir, env });
const ID = /[0-9a-f]{16}/;

function quarantineEicar(): string {
  const r = vigil(['scan', '--quarantine', 'files']);
  const m = /files\/eicar\.com: quarantined as ([0-9a-f]{16})/.exec(r.stdout);
  expect(m, r.stdout + r.stderr).not.toBeNull();
  return m![1]!;
}

describe('vigil scan --quarantine', () => {
  it('reports, then moves infected files in and says so; clean files stay', () => {
    const r = vigil(['scan', '--quarantine', 'files']);
    expect(r.code).toBe(1);
    const lines = resultLines(r.stdout);
    expect(lines[0]).toBe('files/clean.txt: OK');
    expect(lines[1]).toBe('files/eicar.com: Win.Test.EICAR_HDB-1 FOUND');
    expect(lines[2]).toMatch(/^files\/eicar\.com: quarantined as [0-9a-f]{16}$/);
    expect(r.stdout).toMatch(/Infected files: 1\n[\s\S]*\nQuarantined files: 1\n$/);
    expect(readdirSync(join(dir, 'files'))).toEqual(['clean.txt']);
  });

  it('prints a JSON line per quarantined file with --json', () => {
    const r = vigil(['scan', '--quarantine', '--json', '--no-summary', 'files/eicar.com']);
    const objs = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(objs[0]).toMatchObject({ path: 'files/eicar.com', result: 'infected' });
    expect(objs[1]).toEqual({ path: 'files/eicar.com', action: 'quarantined', quarantineId: expect.stringMatching(ID) });
  });

  it('without --quarantine leaves infected files alone', () => {
    expect(vigil(['scan', 'files']).code).toBe(1);
    expect(existsSync(join(dir, 'files/eicar.com'))).toBe(true);
    expect(existsSync(join(dir, 'agent'))).toBe(false);
  });
});

describe('vigil quarantine', () => {
  it('lists entries as a table and as JSON', () => {
    expect(vigil(['quarantine', 'list']).stdout).toBe('The quarantine is empty.\n');
    const id = quarantineEicar();
    const text = vigil(['quarantine', 'list']);
    expect(text.code).toBe(0);
    const [head, row] = text.stdout.trim().split('\n');
    expect(head).toMatch(/^ID +QUARANTINED +SIZE +DETECTION +ORIGINAL PATH$/);
    expect(row).toMatch(new RegExp(`^${id}  \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ  68 B  Win\\.Test\\.EICAR_HDB-1  ${join(dir, 'files/eicar.com')}$`));
    const json = JSON.parse(vigil(['quarantine', 'list', '--json']).stdout);
    expect(json).toEqual({
      entries: [{
        id, originalPath: join(dir, 'files/eicar.com'), quarantinedAt: expect.any(String), detections: ['Win.Test.EICAR_HDB-1'], size: 68,
        md5: '44d88612fea8a8f36de82e1278abb02f', sha256: '275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f',
        mode: '0754', uid: process.getuid!(), gid: process.getgid!(),
      }],
      problems: [],
    });
  });

  it('shows an entry and verifies it', () => {
    const id = quarantineEicar();
    const r = vigil(['quarantine', 'show', id.slice(0, 6)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`ID:             ${id}\n`);
    expect(r.stdout).toContain('Integrity:      verified (authentication tag and SHA-256 match)\n');
    expect(JSON.parse(vigil(['quarantine', 'show', '--json', id]).stdout)).toMatchObject({ id, verified: true });
  });

  it('restores with mode, refuses to overwrite without --force, and restores elsewhere with --to', () => {
    const id = quarantineEicar();
    const original = join(dir, 'files/eicar.com');
    writeFileSync(original, 'someone else');
    const refused = vigil(['quarantine', 'restore', id]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(`ERROR: cannot restore entry ${id}: ${original} exists (use --force to replace it, or --to PATH)\n`);
    mkdirSync(join(dir, 'elsewhere'));
    const to = vigil(['quarantine', 'restore', '--keep', '--to', 'elsewhere', id]);
    expect(to.code).toBe(0);
    expect(to.stdout).toMatch(/^Restored [0-9a-f]{16} to .*elsewhere\/eicar\.com \(SHA-256 verified, mode (and owner )?restored\); the entry is kept\.\n$/);
    expect(readFileSync(join(dir, 'elsewhere/eicar.com'), 'utf8')).toBe(EICAR);
    expect(statSync(join(dir, 'elsewhere/eicar.com')).mode & 0o777).toBe(0o754);
    expect(vigil(['quarantine', 'restore', '--force', id]).code).toBe(0);
    expect(readFileSync(original, 'utf8')).toBe(EICAR);
    expect(vigil(['quarantine', 'list']).stdout).toBe('The quarantine is empty.\n');
  });

  it('deletes by id without asking, and needs an id', () => {
    const id = quarantineEicar();
    const noId = vigil(['quarantine', 'delete']);
    expect(noId.code).toBe(2);
    expect(noId.stderr).toMatch(/missing required argument 'ids'/);
    const r = vigil(['quarantine', 'delete', id, 'abcdef0123456789']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe(`Deleted ${id}.\n`);
    expect(r.stderr).toBe("ERROR: no quarantine entry 'abcdef0123456789'\n");
    expect(vigil(['quarantine', 'list', '--json']).stdout).toBe('{"entries":[],"problems":[]}\n');
  });

  it('names tampered and malformed entries with the reason', () => {
    const id = quarantineEicar();
    const file = join(dir, 'agent/quarantine/entries', `${id}.vq`);
    const bytes = readFileSync(file);
    bytes[bytes.length - 1]! ^= 0x80;
    writeFileSync(file, bytes);
    const show = vigil(['quarantine', 'show', id]);
    expect(show.code).toBe(2);
    expect(show.stdout).toContain('Integrity:      FAILED (TAMPERED)\n');
    expect(show.stderr).toBe(`ERROR: quarantine entry ${id} is tampered: AES-GCM authentication failed (its content or metadata changed after it was written)\n`);
    const restore = vigil(['quarantine', 'restore', id]);
    expect(restore.code).toBe(2);
    expect(restore.stderr).toMatch(new RegExp(`^ERROR: quarantine entry ${id} is tampered`));
    expect(existsSync(join(dir, 'files/eicar.com'))).toBe(false);
    writeFileSync(join(dir, 'agent/quarantine/entries/0123456789abcdef.vq'), 'junk');
    const list = vigil(['quarantine', 'list']);
    expect(list.code).toBe(2);
    expect(list.stdout).toContain(id); // the header still reads; only decryption finds tampering
    expect(list.stderr).toBe('ERROR: quarantine entry 0123456789abcdef is malformed: not a Vigil quarantine entry (bad magic)\n');
  });

  it('has --help for every sub-command', () => {
    for (const args of [['quarantine'], ['quarantine', 'list'], ['quarantine', 'show'], ['quarantine', 'restore'], ['quarantine', 'delete']]) {
      const r = vigil([...args, '--help']);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).toMatch(/^Usage: vigil quarantine/);
    }
    expect(vigil(['quarantine', 'restore', '--help']).stdout).toMatch(/--to <path>[\s\S]*--force[\s\S]*Exit codes/);
    expect(vigil(['scan', '--help']).stdout).toContain('--quarantine');
  });
});
