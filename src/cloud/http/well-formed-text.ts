/**
 * Every string of a request, and every field name, must be well-formed Unicode: a lone UTF-16
 * surrogate (`"\ud800"` in JSON) is no character, cannot be stored as UTF-8 text and would otherwise
 * reach the stores and fail there. `registerRoute` runs this on the body, query and path parameters
 * before any schema, so no route can forget it (issue 16, item 13).
 *
 * The walk is iterative (a deeply nested body cannot overflow the stack) and visits plain objects
 * and arrays only (a raw body such as a Buffer holds no strings).
 */

/** In a `u` regular expression a surrogate pair reads as one code point, so only lone surrogates match (ECMA-262 22.2). */
const LONE_SURROGATE = /\p{Cs}/u;

export interface IllFormedText {
  /** Path segments below the request part, e.g. `['name']` or `['rules', '3', 'reason']`. */
  path: string[];
  /** Whether the field's name (rather than its value) holds the lone surrogate. */
  inName: boolean;
}

function isContainer(value: unknown): value is Record<string, unknown> | unknown[] {
  if (Array.isArray(value)) return true;
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** A field name as it can be shown in an error: lone surrogates escaped as JSON writes them. */
function showName(name: string): string {
  return LONE_SURROGATE.test(name) ? JSON.stringify(name).slice(1, -1) : name;
}

/** A visited value and how it was reached: its field name and its parent's node (paths are built only on a hit). */
interface Node {
  value: unknown;
  name: string | null;
  parent: Node | null;
}

function pathOf(node: Node): string[] {
  const path: string[] = [];
  for (let at: Node | null = node; at !== null && at.name !== null; at = at.parent) path.push(at.name);
  return path.reverse();
}

/** The first string or field name holding a lone surrogate, or null when all text is well-formed. */
export function findIllFormedText(value: unknown): IllFormedText | null {
  const stack: Node[] = [{ value, name: null, parent: null }];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const current = node.value;
    if (typeof current === 'string') {
      if (LONE_SURROGATE.test(current)) return { path: pathOf(node), inName: false };
      continue;
    }
    if (!isContainer(current)) continue;
    const names = Array.isArray(current) ? current.map((_, i) => String(i)) : Object.keys(current);
    // Pushed in reverse, so the first offending field in document order is reported.
    for (let i = names.length - 1; i >= 0; i--) {
      const name = names[i]!;
      if (LONE_SURROGATE.test(name)) return { path: [...pathOf(node), showName(name)], inName: true };
      stack.push({ value: (current as Record<string, unknown>)[name], name, parent: node });
    }
  }
  return null;
}
