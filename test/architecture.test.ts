// Keeps the import rules of DESIGN.md section 3, read from the source with the TypeScript parser:
// protocol imports nothing of Vigil; engine only protocol; agent and cloud import engine and
// protocol but never each other; cli sits on top. Every folder below an area is a sub-area whose
// index.ts is its only door; nothing imported at run time goes round in a circle; doors name what
// they export; the agent's door holds only what the CLI uses.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  edgeViolations,
  exportedNames,
  listSourceFiles,
  parseImports,
  readImportGraph,
  requiredDoor,
  runtimeCycles,
  subAreas,
} from './helpers/import-graph.js';

const SRC = resolve(__dirname, '../src');

describe('architecture', () => {
  const edges = readImportGraph(SRC);

  it('finds the source areas and their imports', () => {
    const areas = new Set(listSourceFiles(SRC).map((f) => f.slice(SRC.length + 1).split('/')[0]));
    expect([...areas].sort()).toEqual(['agent', 'cli', 'cloud', 'engine', 'protocol']);
    expect(edges.length).toBeGreaterThan(500);
  });

  it('keeps imports flowing one way, and into areas and sub-areas only through their index', () => {
    expect(edges.flatMap(edgeViolations)).toEqual([]);
  });

  it('gives every sub-area an index.ts as its door', () => {
    expect(subAreas(SRC).filter((d) => !existsSync(join(SRC, d, 'index.ts')))).toEqual([]);
  });

  it('has no import cycle among the modules that load at run time', () => {
    expect(runtimeCycles(edges)).toEqual([]);
  });

  it('names what a door exports: no export * from', () => {
    expect(edges.filter((e) => e.exportStar).map((e) => `${e.from}: export * from '${e.specifier}'`)).toEqual([]);
  });

  it("keeps the agent's door to what the CLI uses", () => {
    const door = 'agent/index.ts';
    const used = new Set(edges.filter((e) => e.from.startsWith('cli/') && e.to === door).flatMap((e) => e.names));
    const exported = exportedNames(door, readFileSync(join(SRC, door), 'utf8'));
    expect(exported.filter((n) => !used.has(n))).toEqual([]);
  });

  describe('the checks themselves', () => {
    const one = (from: string, text: string) => parseImports(from, text);

    it('reads imports, re-exports, dynamic imports and type-only imports with the parser', () => {
      const e = one('engine/a.ts', [
        "import { x, type Y } from './b.js';",
        "import type { Z } from './c.js';",
        "export { w } from './d.js';",
        "export * from './e.js';",
        "const m = await import('./f.js');",
        "// import { no } from './comment.js';",
        "const s = \"import { no } from './string.js'\";",
      ].join('\n'));
      expect(e.map((x) => [x.to, x.typeOnly, x.exportStar])).toEqual([
        ['engine/b.ts', false, false],
        ['engine/c.ts', true, false],
        ['engine/d.ts', false, false],
        ['engine/e.ts', false, true],
        ['engine/f.ts', false, false],
      ]);
      expect(e[0]!.names).toEqual(['x', 'Y']);
    });

    it('catches a forbidden direction, an import outside src and a reach past a door', () => {
      expect(one('engine/a.ts', "import { x } from '../cli/main.js';").flatMap(edgeViolations)).toHaveLength(1);
      expect(one('cloud/a.ts', "import { x } from '../agent/index.js';").flatMap(edgeViolations)).toHaveLength(1);
      expect(one('engine/a.ts', "import { x } from '../../test/x.js';").flatMap(edgeViolations)).toHaveLength(1);
      expect(one('cli/a.ts', "import { x } from '../engine/match/program.js';").flatMap(edgeViolations)).toHaveLength(1);
      expect(one('engine/compile/a.ts', "import { x } from '../match/program.js';").flatMap(edgeViolations)).toHaveLength(1);
      expect(one('engine/compile/a.ts', "import { x } from '../match/index.js';").flatMap(edgeViolations)).toEqual([]);
      expect(one('engine/compile/a.ts', "import { x } from './b.js';").flatMap(edgeViolations)).toEqual([]);
      expect(one('engine/containers/a.ts', "import { x } from '../scan-limits.js';").flatMap(edgeViolations)).toEqual([]);
      expect(requiredDoor('protocol/index.ts', 'protocol/tlog/log.ts')).toBe('protocol/tlog/index.ts');
      expect(requiredDoor('protocol/tlog/a.ts', 'protocol/tlog/b.ts')).toBeNull();
    });

    it('finds a runtime cycle and ignores one closed only by a type import', () => {
      const a = one('engine/a.ts', "import { b } from './b.js';");
      const b = one('engine/b.ts', "import { a } from './a.js';");
      const bTypes = one('engine/b.ts', "import type { A } from './a.js';");
      expect(runtimeCycles([...a, ...b])).toEqual([['engine/a.ts', 'engine/b.ts']]);
      expect(runtimeCycles([...a, ...bTypes])).toEqual([]);
    });
  });
});
