import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EICAR, hasCommand, resultLines, run, tempDir, vigil } from '../helpers/cli.js';
import { buildZip, gzip, buildTar } from '../engine/containers/samples.js';

const tmp = tempDir();
const dir = tmp.path;
const env = { VIGIL_CACHE_DIR: join(dir, 'cache') };
const scan = (args: string[], opts: { input?: string } = {}) => vigil(['scan', ...args], { cwd: dir, env, ...opts });

beforeAll(() => {
  writeFileSync(join(dir, 'eicar.com'), EICAR);
  writeFileSync(join(dir, 'clean.txt'), 'nothing to see here\n');
  writeFileSync(join(dir, 'empty.txt'), '');
  mkdirSync(join(dir, 'tree/deep/deeper'), { recursive: true });
  writeFileSync(join(dir, 'tree/top.bin'), `prefix ${EICAR}`);
  writeFileSync(join(dir, 'tree/deep/marker.txt'), 'x VIGIL-TEST-BODY-SIGNATURE x');
  writeFileSync(join(dir, 'tree/deep/deeper/eicar.txt'), `${EICAR}\n`);
  writeFileSync(join(dir, 'tree/deep/skip.log'), `${EICAR}\n`);
  symlinkSync('../eicar.com', join(dir, 'tree/link-to-eicar'));
  symlinkSync('..', join(dir, 'tree/deep/loop'));
  mkdirSync(join(dir, 'db'));
  writeFileSync(join(dir, 'db/local.hdb'), '44d88612fea8a8f36de82e1278abb02f:68:Local.Eicar\n');
  writeFileSync(join(dir, 'db/local.ndb'), 'Local.Marker:0:*:564947494c2d544553542d424f44592d5349474e4154555245\n');
});
afterAll(() => tmp.cleanup());

describe('vigil scan, clamscan-compatible', () => {
  it('detects EICAR with the built-in database and exits 1', () => {
    const r = scan(['eicar.com', 'clean.txt']);
    expect(r.code).toBe(1);
    expect(resultLines(r.stdout)).toEqual(['eicar.com: Win.Test.EICAR_HDB-1 FOUND', 'clean.txt: OK']);
    expect(r.stdout).toContain('----------- SCAN SUMMARY -----------');
    expect(r.stdout).toMatch(/Known viruses: \d+\nEngine version: vigil [\d.]+\nScanned directories: 0\nScanned files: 2\nInfected files: 1\n/);
    expect(r.stdout).toMatch(/Data read: 0\.00 MB \(ratio [\d.]+:1\)\nTime: [\d.]+ sec \(0 m \d+ s\)\nStart Date: \d{4}:\d\d:\d\d \d\d:\d\d:\d\d\nEnd Date: {3}/);
  });

  it('exits 0 on clean files and prints Empty file for empty ones without counting them', () => {
    const r = scan(['clean.txt', 'empty.txt']);
    expect(r.code).toBe(0);
    expect(resultLines(r.stdout)).toEqual(['clean.txt: OK', 'empty.txt: Empty file']);
    expect(r.stdout).toContain('Scanned files: 1\n');
  });

  it('scans the files of a folder argument but enters sub-folders only with -r', () => {
    const flat = scan(['--no-summary', 'tree']);
    // EICAR must start the file for Eicar-Signature (offset 0), so top.bin is clean.
    expect(resultLines(flat.stdout)).toEqual(['tree/link-to-eicar: Symbolic link', 'tree/top.bin: OK']);
    const deep = scan(['--no-summary', '-r', 'tree']);
    const lines = resultLines(deep.stdout);
    expect(lines).toContain('tree/deep/deeper/eicar.txt: Eicar-Signature FOUND');
    expect(lines).toContain('tree/deep/marker.txt: Vigil.Test.Body-1 FOUND');
    expect(lines).toContain('tree/deep/loop: Symbolic link');
    expect(deep.code).toBe(1);
  });

  it('follows symbolic links everywhere with level 2 and still ends on a link loop', () => {
    const r = scan(['--no-summary', '-r', '--follow-dir-symlinks=2', '--follow-file-symlinks=2', 'tree']);
    const lines = resultLines(r.stdout);
    expect(lines).toContain('tree/link-to-eicar: Win.Test.EICAR_HDB-1 FOUND');
    expect(lines.filter((l) => l.startsWith('tree/deep/loop/')).length).toBeLessThan(10);
  });

  it('applies --exclude, --exclude-dir and --include as regular expressions on the path', () => {
    const ex = resultLines(scan(['--no-summary', '-r', '--exclude', '\\.log$', '--exclude-dir', 'deeper', 'tree']).stdout);
    expect(ex).toContain('tree/deep/skip.log: Excluded');
    expect(ex).toContain('tree/deep/deeper: Excluded');
    expect(ex.some((l) => l.startsWith('tree/deep/deeper/'))).toBe(false);
    const inc = resultLines(scan(['--no-summary', '-r', '-i', '--include', 'marker', 'tree']).stdout);
    expect(inc).toEqual(['tree/deep/marker.txt: Vigil.Test.Body-1 FOUND']);
  });

  it('prints only infected files with -i, and no OK lines with -o', () => {
    expect(resultLines(scan(['-i', 'eicar.com', 'clean.txt']).stdout)).toEqual(['eicar.com: Win.Test.EICAR_HDB-1 FOUND']);
    expect(resultLines(scan(['-o', '--no-summary', 'clean.txt', 'empty.txt']).stdout)).toEqual(['empty.txt: Empty file']);
  });

  it('reports every match with --allmatch', () => {
    const r = scan(['--no-summary', '-z', '-d', 'db', 'eicar.com']);
    expect(r.code).toBe(1);
    expect(resultLines(r.stdout)).toEqual(['eicar.com: Local.Eicar.UNOFFICIAL FOUND']);
    writeFileSync(join(dir, 'both.bin'), `VIGIL-TEST-BODY-SIGNATURE ${EICAR}`);
    const all = resultLines(scan(['--no-summary', '--allmatch', 'both.bin']).stdout);
    expect(all).toEqual(['both.bin: Vigil.Test.Body-1 FOUND']);
    writeFileSync(join(dir, 'two.bin'), `${EICAR} VIGIL-TEST-BODY-SIGNATURE`);
    expect(resultLines(scan(['--no-summary', '--allmatch', 'two.bin']).stdout)).toEqual(['two.bin: Eicar-Signature FOUND', 'two.bin: Vigil.Test.Body-1 FOUND']);
    expect(resultLines(scan(['--no-summary', 'two.bin']).stdout)).toHaveLength(1);
  });

  it('reads standard input for -', () => {
    const r = scan(['--no-summary', '-'], { input: EICAR });
    expect(r.code).toBe(1);
    expect(resultLines(r.stdout)).toEqual(['stdin: Win.Test.EICAR_HDB-1 FOUND']);
  });

  it('reports a missing path on stderr, keeps scanning, and exits 2 when nothing was found', () => {
    const r = scan(['missing.bin', 'clean.txt']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("missing.bin: No such file or directory\nWARNING: missing.bin: Can't access file");
    expect(resultLines(r.stdout)).toEqual(['clean.txt: OK']);
    expect(r.stdout).toContain('Total errors: 1');
  });

  it.runIf(process.getuid?.() === 0 && hasCommand('setpriv'))('reports an unreadable file as an error and goes on', () => {
    const locked = tempDir('vigil-locked-');
    chmodSync(locked.path, 0o755);
    writeFileSync(join(locked.path, 'secret.bin'), 'x');
    chmodSync(join(locked.path, 'secret.bin'), 0o000);
    writeFileSync(join(locked.path, 'open.txt'), 'fine');
    chmodSync(join(locked.path, 'open.txt'), 0o644);
    const r = run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, join(__dirname, '../../dist/cli/main.js'), 'scan', '--no-cache', '--no-summary', locked.path], {});
    locked.cleanup();
    expect(r.stdout).toContain('secret.bin: Access denied ERROR');
    expect(r.stdout).toContain('open.txt: OK');
    expect(r.code).toBe(2);
  });

  it('prints one JSON object per file with --json', () => {
    const r = scan(['--json', 'eicar.com', 'clean.txt']);
    const objs = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(objs[0]).toMatchObject({ path: 'eicar.com', result: 'infected', findings: [{ signature: 'Win.Test.EICAR_HDB-1', kind: 'hash' }], size: 68 });
    expect(objs[1]).toMatchObject({ path: 'clean.txt', result: 'clean', findings: [] });
    expect(objs[2].summary).toMatchObject({ scannedFiles: 2, infectedFiles: 1, totalErrors: 0 });
  });

  it('gives the same results with one thread and with a worker pool', () => {
    const one = scan(['--no-summary', '-r', '-j', '1', 'tree']);
    const pool = scan(['--no-summary', '-r', '-j', '2', 'tree']);
    expect(pool.stdout).toBe(one.stdout);
    expect(pool.code).toBe(one.code);
  });

  it('skips files above --max-filesize and rejects a malformed size', () => {
    writeFileSync(join(dir, 'big.bin'), Buffer.concat([Buffer.alloc(2048), Buffer.from('VIGIL-TEST-BODY-SIGNATURE')]));
    expect(scan(['--no-summary', '--max-filesize', '1K', 'big.bin']).stdout).toBe('big.bin: OK\n');
    expect(scan(['--no-summary', '--max-filesize', '1M', 'big.bin']).code).toBe(1);
    const bad = scan(['--max-filesize', '12Q', 'big.bin']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--max-filesize: '12Q' is not a size");
  });

  it('stops matching after --max-scansize bytes', () => {
    expect(scan(['--no-summary', '--max-scansize', '1K', 'big.bin']).code).toBe(0);
  });

  it('finds EICAR inside archives: the outer path in text, the chain in --json, limits with --alert-exceeds-max', () => {
    writeFileSync(join(dir, 'files.tar.gz'), gzip(buildTar([{ name: 'docs/report.zip', data: buildZip([{ name: 'macro.bin', data: Buffer.from(EICAR) }]) }])));
    const text = scan(['--no-summary', 'files.tar.gz']);
    expect(text.stdout).toBe('files.tar.gz: Win.Test.EICAR_HDB-1 FOUND\n');
    expect(text.code).toBe(1);
    const json = JSON.parse(scan(['--no-summary', '--json', 'files.tar.gz']).stdout.trim());
    expect(json).toMatchObject({ path: 'files.tar.gz', result: 'infected', findings: [{ signature: 'Win.Test.EICAR_HDB-1', path: 'files.tar.gz//docs/report.zip//macro.bin' }] });
    const limited = scan(['--no-summary', '--json', '--max-recursion', '2', 'files.tar.gz']);
    expect(JSON.parse(limited.stdout.trim())).toMatchObject({ result: 'incomplete', limit: { name: 'max-recursion', value: 2, path: 'files.tar.gz' } });
    expect(scan(['--no-summary', '--max-recursion', '2', 'files.tar.gz']).stdout).toBe('files.tar.gz: OK\n');
    const alert = scan(['--no-summary', '--max-recursion', '2', '--alert-exceeds-max', 'files.tar.gz']);
    expect(alert.stdout).toBe('files.tar.gz: Heuristics.Limits.Exceeded.MaxRecursion FOUND\n');
    expect(alert.code).toBe(1);
    const bad = scan(['--max-files', 'many', 'files.tar.gz']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--max-files: expected a whole number from 0 to 10000000, got 'many'");
  });

  it('answers --help for every command', () => {
    for (const args of [['--help'], ['scan', '--help'], ['db', '--help'], ['db', 'compile', '--help'], ['db', 'info', '--help'], ['db', 'verify', '--help']]) {
      const r = vigil(args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).toContain('Usage: vigil');
    }
  });

  it('exits 2 on an unknown option', () => {
    const r = vigil(['scan', '--frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown option '--frobnicate'");
  });
});

describe.skipIf(!hasCommand('clamscan'))('output matches clamscan on the same database', () => {
  it('prints the same result lines and exit code for a folder', () => {
    const args = ['--no-summary', '-r', '-d', 'db', 'tree', 'eicar.com', 'clean.txt', 'empty.txt'];
    const ours = scan(args);
    const theirs = run('clamscan', args, { cwd: dir });
    expect(new Set(resultLines(ours.stdout))).toEqual(new Set(resultLines(theirs.stdout)));
    expect(ours.code).toBe(theirs.code);
  });

  it('reads a limit of 0 as clamscan does: no limit for --max-files and --max-scantime, the default for --max-recursion', () => {
    for (const limit of ['--max-files=0', '--max-scantime=0', '--max-recursion=0']) {
      const args = ['--no-summary', '-r', '-d', 'db', limit, 'tree', 'eicar.com', 'clean.txt'];
      const ours = scan(args);
      const theirs = run('clamscan', args, { cwd: dir });
      expect(new Set(resultLines(ours.stdout)), limit).toEqual(new Set(resultLines(theirs.stdout)));
      expect(ours.code, limit).toBe(theirs.code);
      // libclamav warns for the one it does not allow, and so does vigil, in the same words.
      expect(ours.stderr.includes('the value of 0 is not allowed, using default: 17'), limit).toBe(theirs.stderr.includes('the value of 0 is not allowed, using default: 17'));
    }
  });
});
