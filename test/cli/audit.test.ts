import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_MAX_LINE_BYTES, chainAuditRecord, formatAuditLine, type AuditRecord } from '../../src/protocol/index.js';
import { tempDir, vigil } from '../helpers/cli.js';

const tmp = tempDir();
const dir = tmp.path;
const verify = (args: string[], input?: string) => vigil(['audit', 'log', 'verify', ...args], { cwd: dir, ...(input === undefined ? {} : { input }) });

const records: AuditRecord[] = [];
for (let i = 0; i < 6; i++) {
  records.push(
    chainAuditRecord(records[i - 1] ?? null, {
      at: new Date(Date.UTC(2024, 8, 29, 4, i)),
      kind: i % 2 ? 'rule.create' : 'policy.decision',
      actor: `user:${i}`,
      tenant: 'acme',
      data: { action: 'update', jurisdiction: 'US', effect: i % 2 ? 'allow' : 'deny' },
    }),
  );
}
const lines = records.map(formatAuditLine);
const head = records[5]!.hash;
const text = (ls: string[]) => `${ls.join('\n')}\n`;

beforeAll(() => {
  writeFileSync(join(dir, 'log.jsonl'), text(lines));
  writeFileSync(join(dir, 'tampered.jsonl'), text(lines.map((l, i) => (i === 2 ? l.replace('"effect":"deny"', '"effect":"allow"') : l))));
  writeFileSync(join(dir, 'deleted.jsonl'), text(lines.filter((_, i) => i !== 3)));
  writeFileSync(join(dir, 'cut.jsonl'), text(lines.slice(0, 4)));
  writeFileSync(join(dir, 'first-damaged.jsonl'), text([lines[0]!.slice(1), ...lines.slice(1)]));
  writeFileSync(join(dir, 'empty.jsonl'), '');
  writeFileSync(join(dir, 'notes.txt'), 'these are notes\nnot an audit log\n');
  writeFileSync(join(dir, 'pretty.json'), JSON.stringify(records, null, 2));
  // Bytes generated here, not stored: a binary file with no line structure.
  writeFileSync(join(dir, 'binary.bin'), Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 131 + 7) % 256)));
  writeFileSync(join(dir, 'huge-line.jsonl'), `${lines[0]!}\n{"seq":2,"data":"${'x'.repeat(AUDIT_MAX_LINE_BYTES)}"}\n`);
  writeFileSync(join(dir, 'no-newlines.bin'), 'x'.repeat(3 * AUDIT_MAX_LINE_BYTES));
  mkdirSync(join(dir, 'folder'));
});
afterAll(() => tmp.cleanup());

describe('vigil audit log verify', () => {
  it('prints OK with the count and head of an intact log and exits 0', () => {
    const r = verify(['log.jsonl']);
    expect(r).toEqual({ code: 0, stdout: `log.jsonl: OK (6 records, head ${head})\n`, stderr: '' });
  });

  it('reads standard input for -', () => {
    const r = verify(['-'], readFileSync(join(dir, 'log.jsonl'), 'utf8'));
    expect(r).toEqual({ code: 0, stdout: `stdin: OK (6 records, head ${head})\n`, stderr: '' });
  });

  it('accepts an empty log (head: the genesis value)', () => {
    expect(verify(['empty.jsonl']).stdout).toBe(`empty.jsonl: OK (0 records, head ${'0'.repeat(64)})\n`);
  });

  it('prints the line and record of an altered record and exits 1', () => {
    const r = verify(['tampered.jsonl']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^tampered\.jsonl:3: record 3: hash mismatch: the record was altered \(its content hashes to [0-9a-f]{64}, not to its hash [0-9a-f]{64}\)\n$/);
  });

  it('reports a removed record where it was', () => {
    const r = verify(['deleted.jsonl']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('deleted.jsonl:4: record 4: seq gap: found seq 5 where 4 was expected (record 4 was removed, or records were reordered)\n');
  });

  it('detects a cut tail only against an expected head', () => {
    expect(verify(['cut.jsonl']).code).toBe(0);
    const r = verify(['cut.jsonl', '--expect-count', '6', '--expect-head', head.toUpperCase()]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('cut.jsonl:5: record 5: truncated: the log ends after record 4 but the expected head is record 6\n');
    expect(verify(['log.jsonl', '--expect-count', '4', '--expect-head', records[3]!.hash]).code).toBe(0);
    const wrong = verify(['log.jsonl', '--expect-count', '4', '--expect-head', head]);
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toMatch(/^log\.jsonl:4: record 4: head mismatch: /);
  });

  it('calls a damaged first line a broken chain when the lines after it are JSON', () => {
    const r = verify(['first-damaged.jsonl']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^first-damaged\.jsonl:1: record 1: not a JSON object: /);
  });

  it.each(['notes.txt', 'pretty.json', 'binary.bin', 'no-newlines.bin'])('exits 2 on %s, which is not JSON lines', (file) => {
    const r = verify([file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^ERROR: ${file.replace('.', '\\.')}:1: not an audit log in JSON lines \\(`));
    expect(r.stderr.split('\n')).toHaveLength(2);
  });

  it('stops at a line over the limit without reading it whole', () => {
    const r = verify(['huge-line.jsonl']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(`huge-line.jsonl:2: record 2: line longer than ${AUDIT_MAX_LINE_BYTES} bytes\n`);
  });

  it('exits 2 when the file cannot be read', () => {
    const missing = verify(['missing.jsonl']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^ERROR: missing\.jsonl: cannot read: ENOENT/);
    const folder = verify(['folder']);
    expect(folder.code).toBe(2);
    expect(folder.stderr).toMatch(/^ERROR: folder: cannot read: EISDIR/);
  });

  it('exits 2 on a malformed option', () => {
    expect(verify(['log.jsonl', '--expect-head', 'abc']).code).toBe(2);
    expect(verify(['log.jsonl', '--expect-count', '-1']).code).toBe(2);
    expect(verify(['log.jsonl', '--expect-count', '0', '--expect-head', head]).code).toBe(2);
  });

  it('prints one JSON object with --json', () => {
    const ok = verify(['--json', 'log.jsonl']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual({ file: 'log.jsonl', ok: true, count: 6, head });
    const broken = verify(['deleted.jsonl', '--json']);
    expect(broken.code).toBe(1);
    expect(JSON.parse(broken.stdout)).toEqual({
      file: 'deleted.jsonl',
      ok: false,
      seq: 4,
      line: 4,
      code: 'SEQ_GAP',
      reason: 'seq gap: found seq 5 where 4 was expected (record 4 was removed, or records were reordered)',
    });
    const stdin = verify(['-', '--json'], 'not json\nat all\n');
    expect(stdin.code).toBe(2);
    expect(JSON.parse(stdin.stdout)).toMatchObject({ file: 'stdin', ok: false, error: { code: 'NOT_JSON_LINES', message: expect.stringMatching(/^stdin:1: not an audit log/) } });
    const missing = verify(['--json', 'missing.jsonl']);
    expect(missing.code).toBe(2);
    expect(JSON.parse(missing.stdout)).toMatchObject({ ok: false, error: { code: 'UNREADABLE' } });
    for (const r of [ok, broken, stdin, missing]) expect(r.stdout.trim().split('\n')).toHaveLength(1);
  });

  it('is described by vigil audit --help and vigil audit log --help', () => {
    const audit = vigil(['audit', '--help']);
    expect(audit.code).toBe(0);
    expect(audit.stdout).toMatch(/Usage: vigil audit \[options\] \[command\]/);
    expect(audit.stdout).toMatch(/\n {2}log +check the vendor cloud's hash-chained audit log/);
    const log = vigil(['audit', 'log', '--help']);
    expect(log.code).toBe(0);
    expect(log.stdout).toMatch(/\n {2}verify \[options\] <file> +check an exported audit log offline/);
    const help = vigil(['audit', 'log', 'verify', '--help']);
    expect(help.stdout).toContain('--expect-head <hash>');
    expect(help.stdout).toContain('FILE:LINE: record SEQ: REASON');
    expect(help.stdout).toContain('detected only against a head obtained elsewhere');
  });
});
