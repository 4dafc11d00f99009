// The docs for the next person (docs/architecture.md, docs/extending.md) stay true of the code:
// every path they name exists, every link and anchor resolves, the table of areas is the one the
// architecture test enforces, the picture names every sub-area, the wire formats table lists every
// file of src/protocol, and the non-goals the code can show are checked here.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { AREA_IMPORTS, listSourceFiles, subAreas } from './helpers/import-graph.js';

const ROOT = resolve(__dirname, '..');
const SRC = join(ROOT, 'src');
const DOCS = ['docs/architecture.md', 'docs/extending.md'] as const;
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

/** Repository paths a text names: `src/...`, `test/...`, `docs/...` (not inside a longer path or a URL). */
function listNamedPaths(text: string): string[] {
  const found = [...text.matchAll(/(?<![\w./-])((?:src|test|docs)\/[\w./-]*)/g)].map((m) => m[1]!.replace(/\.+$/, ''));
  return [...new Set(found)];
}

/** Relative link targets of a Markdown text (`[text](target)`), without web addresses. */
function listRelativeLinks(text: string): string[] {
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((t) => !/^[a-z]+:/i.test(t));
}

/** The anchors GitHub gives the headings of a Markdown text (headings inside code blocks do not count). */
function listHeadingAnchors(text: string): string[] {
  let inCode = false;
  const anchors: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('```')) inCode = !inCode;
    const h = inCode ? null : /^#{1,6} (.+)$/.exec(line);
    if (h) anchors.push(h[1]!.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-'));
  }
  return anchors;
}

/** The module specifiers a source file imports (static imports, re-exports, `import()`, `require()`). */
function listSpecifiers(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const specs: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) specs.push(node.moduleSpecifier.text);
    if (ts.isCallExpression(node) && node.arguments[0] && ts.isStringLiteral(node.arguments[0])) {
      const callee = node.expression;
      if (callee.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(callee) && callee.text === 'require')) specs.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return specs;
}

/** Whether a source file calls the global `fetch`. */
function callsFetch(file: string): boolean {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  let found = false;
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'fetch') found = true;
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The rows of the Markdown table that follows the line starting with `header`. */
function readTableRows(text: string, header: string): string[][] {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith(header));
  expect(start, `a table with header ${header}`).toBeGreaterThanOrEqual(0);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(line.slice(1, -1).split('|').map((c) => c.trim()));
  }
  return rows;
}

describe('the docs for the next person', () => {
  it.each(DOCS)('%s names only paths that exist (a path ending in / is a folder)', (doc) => {
    const paths = listNamedPaths(read(doc));
    expect(paths.length).toBeGreaterThan(10);
    const missing = paths.filter((p) => {
      const full = join(ROOT, p);
      if (!existsSync(full)) return true;
      return p.endsWith('/') && !statSync(full).isDirectory();
    });
    expect(missing).toEqual([]);
  });

  it.each(DOCS)('%s links only to files and headings that exist', (doc) => {
    const broken: string[] = [];
    for (const link of listRelativeLinks(read(doc))) {
      const [target, anchor] = link.split('#') as [string, string | undefined];
      const file = target === '' ? join(ROOT, doc) : resolve(dirname(join(ROOT, doc)), target);
      if (!existsSync(file)) broken.push(link);
      else if (anchor !== undefined && file.endsWith('.md') && !listHeadingAnchors(readFileSync(file, 'utf8')).includes(anchor)) broken.push(link);
    }
    expect(broken).toEqual([]);
  });

  it('gives the table of areas that the architecture test enforces', () => {
    const rows = readTableRows(read('docs/architecture.md'), '| area | may import |');
    const table = Object.fromEntries(rows.map(([area, imports]) => [area!, imports!.split(',').map((a) => a.trim())]));
    expect(table).toEqual(Object.fromEntries(Object.entries(AREA_IMPORTS).map(([a, list]) => [a, [...list]])));
  });

  it('names every area and sub-area of src/ in the picture', () => {
    const picture = /```\n([\s\S]*?)```/.exec(read('docs/architecture.md'))![1]!;
    const folders = [...Object.keys(AREA_IMPORTS), ...subAreas(SRC)];
    expect(folders.length).toBeGreaterThan(25);
    expect(folders.filter((f) => !picture.includes(`${f.split('/').pop()!}/`))).toEqual([]);
  });

  it('lists every file and folder of src/protocol in the wire formats table', () => {
    const rows = readTableRows(read('docs/architecture.md'), '| file | what travels |');
    const listed = new Set(rows.map(([file]) => file!.replace(/`/g, '')));
    const present = readdirSync(join(SRC, 'protocol'), { withFileTypes: true })
      .filter((e) => e.name !== 'index.ts')
      .map((e) => `src/protocol/${e.name}${e.isDirectory() ? '/' : ''}`);
    expect(present.filter((p) => !listed.has(p))).toEqual([]);
    expect([...listed].filter((p) => !present.includes(p))).toEqual([]);
  });

  it('is linked from the README and from docs/design.md', () => {
    for (const [file, prefix] of [['README.md', 'docs/'], ['docs/design.md', '']] as const) {
      const links = listRelativeLinks(read(file));
      for (const doc of ['architecture.md', 'extending.md']) expect(links, file).toContain(`${prefix}${doc}`);
    }
  });

  describe('the non-goals the code shows', () => {
    const NETWORK_OR_STORE = /^(node:)?(net|http|https|http2|dgram|tls|dns)$|^(pg|better-sqlite3|fastify|undici)(\/|$)/;
    const engineFiles = listSourceFiles(join(SRC, 'engine'));

    it('keeps network and store modules out of the engine', () => {
      const offenders = engineFiles.flatMap((f) => listSpecifiers(f).filter((s) => NETWORK_OR_STORE.test(s)).map((s) => `${relative(ROOT, f)}: ${s}`));
      expect(offenders).toEqual([]);
      expect(engineFiles.filter(callsFetch).map((f) => relative(ROOT, f))).toEqual([]);
    });

    it('reads paths, anchors and forbidden modules as meant (the checks themselves)', () => {
      expect(NETWORK_OR_STORE.test('node:net')).toBe(true);
      expect(NETWORK_OR_STORE.test('pg')).toBe(true);
      expect(NETWORK_OR_STORE.test('node:fs')).toBe(false);
      expect(NETWORK_OR_STORE.test('pgp-utils')).toBe(false);
      expect(listNamedPaths('see src/engine/scanner.ts. and test/a/, not web/src/x nor https://x/src/y')).toEqual(['src/engine/scanner.ts', 'test/a/']);
      expect(listHeadingAnchors('## The matcher (`src/engine/match/body-matcher.ts`)\n```\n# not a heading\n```')).toEqual(['the-matcher-srcenginematchbody-matcherts']);
    });
  });
});
