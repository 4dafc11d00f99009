// Keeps the import directions of DESIGN.md section 3: protocol imports nothing of Vigil; engine only
// protocol; agent and cloud import engine and protocol (through their public index) but never each
// other; cli sits on top.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(__dirname, '../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

const ALLOWED: Record<string, string[]> = {
  protocol: ['protocol'],
  engine: ['engine', 'protocol'],
  agent: ['agent', 'engine', 'protocol'],
  cloud: ['cloud', 'engine', 'protocol'],
  cli: ['cli', 'agent', 'cloud', 'engine', 'protocol'],
};

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => (m[1] ?? m[2])!);
}

describe('architecture', () => {
  const files = sourceFiles(SRC);

  it('finds the source areas', () => {
    const areas = new Set(files.map((f) => relative(SRC, f).split('/')[0]));
    expect([...areas].sort()).toEqual(expect.arrayContaining(['cli', 'engine', 'protocol']));
  });

  it('keeps imports flowing one way, and into other areas only through their index', () => {
    const violations: string[] = [];
    for (const file of files) {
      const from = relative(SRC, file).split('/')[0]!;
      for (const spec of imports(file)) {
        if (!spec.startsWith('.')) continue;
        const target = relative(SRC, resolve(dirname(file), spec));
        const to = target.split('/')[0]!;
        if (target.startsWith('..')) violations.push(`${relative(SRC, file)} imports outside src: ${spec}`);
        else if (!(ALLOWED[from] ?? []).includes(to)) violations.push(`${relative(SRC, file)} (${from}) imports ${to}: ${spec}`);
        else if (to !== from && target !== `${to}/index.js`) violations.push(`${relative(SRC, file)} reaches into ${target} instead of ${to}/index.js`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('the check itself catches a forbidden import', () => {
    const fake = `import { x } from '../cli/main.js';`;
    const spec = [...fake.matchAll(/from\s+['"]([^'"]+)['"]/g)][0]![1]!;
    const to = relative(SRC, resolve(join(SRC, 'engine'), spec)).split('/')[0]!;
    expect(ALLOWED.engine).not.toContain(to);
  });
});
