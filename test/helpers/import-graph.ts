/**
 * The import graph of src/, read with the TypeScript compiler's parser (not regular expressions):
 * every `import`, `export ... from` and `import()` with a relative specifier, whether it is erased
 * at run time (type-only) or not, and the rules of DESIGN.md section 3 checked over it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

/** One relative import of one source file. Paths are relative to src/, with `/` and `.ts`. */
export interface ImportEdge {
  from: string;
  to: string;
  specifier: string;
  /** Erased at run time: `import type`, or every named binding marked `type`. */
  typeOnly: boolean;
  /** `export * from '...'` (a namespace `export * as x` is named and does not count). */
  exportStar: boolean;
  /** The names imported or re-exported (empty for side-effect, namespace or dynamic imports). */
  names: string[];
}

/** Area → the areas it may import (DESIGN.md section 3). */
export const AREA_IMPORTS: Record<string, readonly string[]> = {
  protocol: ['protocol'],
  engine: ['engine', 'protocol'],
  agent: ['agent', 'engine', 'protocol'],
  cloud: ['cloud', 'engine', 'protocol'],
  cli: ['cli', 'agent', 'cloud', 'engine', 'protocol'],
};

export function listSourceFiles(root: string): string[] {
  return readdirSync(root, { withFileTypes: true }).flatMap((e) => {
    const p = join(root, e.name);
    if (e.isDirectory()) return listSourceFiles(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

function allTypeOnly(elements: ts.NodeArray<ts.ImportSpecifier | ts.ExportSpecifier>): boolean {
  return elements.length > 0 && elements.every((e) => e.isTypeOnly);
}

/** The relative imports of one file's text; `file` is its path relative to src/. */
export function parseImports(file: string, text: string): ImportEdge[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const edges: ImportEdge[] = [];
  const add = (spec: ts.Expression | undefined, typeOnly: boolean, exportStar: boolean, names: string[]): void => {
    if (!spec || !ts.isStringLiteral(spec) || !spec.text.startsWith('.')) return;
    const to = posix.normalize(posix.join(posix.dirname(file), spec.text)).replace(/\.js$/, '.ts');
    edges.push({ from: file, to, specifier: spec.text, typeOnly, exportStar, names });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      const c = node.importClause;
      const bindings = c?.namedBindings;
      const named = bindings && ts.isNamedImports(bindings) ? bindings.elements : undefined;
      const typeOnly = !!c && (c.phaseModifier === ts.SyntaxKind.TypeKeyword || (!c.name && !!named && allTypeOnly(named)));
      add(node.moduleSpecifier, typeOnly, false, named ? named.map((e) => (e.propertyName ?? e.name).text) : []);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier) {
      const clause = node.exportClause;
      const named = clause && ts.isNamedExports(clause) ? clause.elements : undefined;
      add(node.moduleSpecifier, node.isTypeOnly || (!!named && allTypeOnly(named)), !clause, named ? named.map((e) => (e.propertyName ?? e.name).text) : []);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node.arguments[0], false, false, []);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return edges;
}

/** Every relative import under `root` (src/). */
export function readImportGraph(root: string): ImportEdge[] {
  return listSourceFiles(root).flatMap((f) => parseImports(relative(root, f).split(sep).join('/'), readFileSync(f, 'utf8')));
}

/**
 * The door an import must go through, or null when it may name its target directly: a file
 * outside folder D imports a file inside D only as D/index.ts (D being the outermost folder that
 * holds the target and not the importer). Areas are the folders right below src/.
 */
export function requiredDoor(from: string, to: string): string | null {
  const t = to.split('/');
  const f = from.split('/');
  let k = 0;
  while (k < t.length - 1 && k < f.length - 1 && t[k] === f[k]) k++;
  if (k >= t.length - 1) return null;
  const door = [...t.slice(0, k + 1), 'index.ts'].join('/');
  return door === to ? null : door;
}

/** The problems of one edge: outside src/, against the area direction, or past a door. */
export function edgeViolations(e: ImportEdge): string[] {
  if (e.to.startsWith('..')) return [`${e.from} imports outside src: ${e.specifier}`];
  const fromArea = e.from.split('/')[0]!;
  const toArea = e.to.split('/')[0]!;
  if (!(AREA_IMPORTS[fromArea] ?? []).includes(toArea)) return [`${e.from} (${fromArea}) imports ${toArea}: ${e.specifier}`];
  const door = requiredDoor(e.from, e.to);
  return door ? [`${e.from} reaches into ${e.to} instead of its door ${door}`] : [];
}

/** Cycles among the imports that run (type-only ones are erased), as sorted lists of files. */
export function runtimeCycles(edges: readonly ImportEdge[]): string[][] {
  const graph = new Map<string, string[]>();
  for (const e of edges) {
    if (!graph.has(e.from)) graph.set(e.from, []);
    if (!e.typeOnly) graph.get(e.from)!.push(e.to);
  }
  // Tarjan's strongly connected components.
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const connect = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) connect(v);
  return cycles;
}

/** The names a file exports by name (`export { a, type B } from`, `export function f`, ...). */
export function exportedNames(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const names: string[] = [];
  for (const st of source.statements) {
    if (ts.isExportDeclaration(st) && st.exportClause) {
      if (ts.isNamedExports(st.exportClause)) names.push(...st.exportClause.elements.map((e) => e.name.text));
      else names.push(st.exportClause.name.text);
    } else if (ts.canHaveModifiers(st) && ts.getModifiers(st)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) {
      if (ts.isVariableStatement(st)) {
        for (const d of st.declarationList.declarations) if (ts.isIdentifier(d.name)) names.push(d.name.text);
      } else if ((ts.isFunctionDeclaration(st) || ts.isClassDeclaration(st) || ts.isInterfaceDeclaration(st) || ts.isTypeAliasDeclaration(st) || ts.isEnumDeclaration(st)) && st.name) {
        names.push(st.name.text);
      }
    }
  }
  return names;
}

/** Folders below the areas (src/<area>/<folder>...), relative to src/. */
export function subAreas(root: string): string[] {
  const walk = (dir: string, depth: number): string[] =>
    readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).flatMap((e) => {
      const p = join(dir, e.name);
      const here = depth >= 1 ? [relative(root, p).split(sep).join('/')] : [];
      return [...here, ...walk(p, depth + 1)];
    });
  return walk(resolve(root), 0);
}
