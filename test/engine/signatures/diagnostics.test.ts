/**
 * Golden files for the signature database diagnostics (yara-x's testdata/errors style): each
 * diagnostics/NNN.in describes database files, NNN.out is exactly what `vigil db verify` prints for
 * them (standard error, then standard output, as a terminal shows them). UPDATE_GOLDEN=1 rewrites
 * the .out files; without it a difference fails the test.
 *
 * An .in file: `#` lines first (what the case shows; `# args: ...` replaces the default `-d .`),
 * then one `--- NAME` line per file followed by its lines (`--- NAME/` makes a folder). Inside a
 * file, `{{C*N}}` stands for the character C written N times (for lines too long to store).
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir, vigil } from '../../helpers/cli.js';

const DIR = join(__dirname, 'diagnostics');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

interface GoldenCase {
  args: string[];
  files: Map<string, string | null>;
}

/** Reads an .in file: its arguments and its files (null for a folder). */
function parseCase(text: string): GoldenCase {
  let args = ['-d', '.'];
  const files = new Map<string, string | null>();
  let current: string[] | null = null;
  let name = '';
  const close = () => {
    if (current !== null) files.set(name, current.join('\n') + '\n');
  };
  for (const line of text.replace(/\n$/, '').split('\n')) {
    const header = /^--- (.+)$/.exec(line);
    if (header) {
      close();
      name = header[1]!;
      if (name.endsWith('/')) {
        files.set(name.slice(0, -1), null);
        current = null;
      } else current = [];
    } else if (current !== null) current.push(line.replace(/\{\{(.)\*(\d+)\}\}/g, (_, c: string, n: string) => c.repeat(Number(n))));
    else if (line.startsWith('# args: ')) args = line.slice('# args: '.length).split(' ');
    else if (!line.startsWith('#') && line !== '') throw new Error(`line before the first file: ${line}`);
  }
  close();
  return { args, files };
}

const cases = readdirSync(DIR)
  .filter((f) => f.endsWith('.in'))
  .sort()
  .map((f) => f.slice(0, -'.in'.length));

describe('database diagnostics (golden files)', () => {
  const temps: (() => void)[] = [];
  afterAll(() => temps.forEach((cleanup) => cleanup()));

  it.each(cases)('case %s: db verify prints the .out file', (id) => {
    const { args, files } = parseCase(readFileSync(join(DIR, `${id}.in`), 'utf8'));
    const dir = tempDir('vigil-golden-');
    temps.push(dir.cleanup);
    for (const [name, content] of files) {
      const path = join(dir.path, name);
      mkdirSync(content === null ? path : dirname(path), { recursive: true });
      if (content !== null) writeFileSync(path, content, 'latin1');
    }
    const r = vigil(['db', 'verify', ...args], { cwd: dir.path, env: { VIGIL_CACHE_DIR: join(dir.path, '.cache') } });
    const printed = r.stderr + r.stdout;
    const golden = join(DIR, `${id}.out`);
    if (UPDATE) writeFileSync(golden, printed);
    expect(printed).toBe(readFileSync(golden, 'utf8'));
    // Errors make `db verify` fail (exit 2); warnings alone do not.
    expect(r.code).toBe(/ error E\d{3}: |^ERROR: /m.test(printed) ? 2 : 0);
  });

  it('has a case for every problem code the engine defines', () => {
    const union = /type DatabaseProblemCode =([^;]+);/.exec(readFileSync(join(__dirname, '../../../src/engine/errors.ts'), 'utf8'))![1]!;
    const codes = [...union.matchAll(/'([EW]\d{3})'/g)].map((m) => m[1]!);
    expect(codes.length).toBeGreaterThan(10);
    const shown = new Set(cases.flatMap((id) => [...readFileSync(join(DIR, `${id}.out`), 'utf8').matchAll(/ (?:error|warning) ([EW]\d{3}): /g)].map((m) => m[1]!)));
    expect(codes.filter((c) => !shown.has(c))).toEqual([]);
  });

  it('reads the .in format as documented', () => {
    const parsed = parseCase('# what\n# args: -d x.hdb\n--- x.hdb\nA{{B*3}}\n--- sub/\n--- y.ndb\n');
    expect(parsed.args).toEqual(['-d', 'x.hdb']);
    expect([...parsed.files]).toEqual([
      ['x.hdb', 'ABBB\n'],
      ['sub', null],
      ['y.ndb', '\n'],
    ]);
  });
});
