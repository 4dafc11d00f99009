/**
 * Canonical JSON: one byte-exact text for one JSON value, so that a hash or a signature over it can
 * be recomputed by anyone who holds the value, in any language.
 *
 * Follows RFC 8785 (JSON Canonicalization Scheme, JCS):
 * - 3.2.1: no whitespace between tokens.
 * - 3.2.2.1: literals `null`, `true`, `false`.
 * - 3.2.2.2: strings as ECMAScript's JSON.stringify writes them (`\"`, `\\`, `\b \t \n \f \r`,
 *   other controls below U+0020 as lowercase `\u00xx`, everything else as is, including U+2028,
 *   U+2029 and U+007F); a lone surrogate is an error, as 3.2.2.2 requires.
 * - 3.2.2.3: numbers as ECMAScript's Number serialisation (JSON.stringify: `-0` becomes `0`,
 *   `1e+21`, `1e-7`); NaN and the infinities are errors.
 * - 3.2.3: object members sorted by their names compared as arrays of UTF-16 code units, at every
 *   level; array order is kept.
 * - 3.2.4: the result is a JavaScript string; the caller encodes it as UTF-8 before hashing.
 *
 * Where it differs, being a serialiser of JavaScript values rather than of parsed JSON text:
 * - Members whose value is `undefined` are omitted (as JSON.stringify does); `undefined` elsewhere
 *   (at the top, in an array) is an error, where JSON.stringify would write `null` or nothing.
 * - An object with a `toJSON` method (a Date) is replaced by its result, as JSON.stringify does.
 * - Only plain objects (prototype Object.prototype or null) and arrays are serialised; a Map, a Set,
 *   a typed array or a class instance without `toJSON` is an error rather than `{}` or its own
 *   enumerable properties, so data is never dropped silently. bigint, functions, symbols and cycles
 *   are errors too. Symbol-keyed members are ignored, as JSON.stringify ignores them.
 * - Duplicate member names (3.1, I-JSON) cannot occur in a JavaScript object. A caller that parses
 *   JSON text with JSON.parse gets the last of duplicate members, not an error.
 * - Nesting deeper than CANONICAL_JSON_MAX_DEPTH is an error, so that whether a value can be
 *   serialised never depends on the stack size of the machine.
 */

/** Arrays and objects nested deeper than this are refused (the top-level value is depth 1). */
export const CANONICAL_JSON_MAX_DEPTH = 256;

const LONE_SURROGATE_RE = /\p{Cs}/u;

/**
 * The RFC 8785 canonical text of `value` (see the module comment for the exact rules).
 * Throws a TypeError naming the path (`$.data.list[2]`) of the first value that is not JSON.
 */
export function canonicalJson(value: unknown): string {
  return serialise(value, '$', '', new Set(), 1);
}

function serialise(value: unknown, path: string, key: string, ancestors: Set<object>, depth: number): string {
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    value = (value as { toJSON(key: string): unknown }).toJSON(key);
  }
  switch (typeof value) {
    case 'string':
      return serialiseString(value, path);
    case 'number':
      // RFC 8785 3.2.2.3: NaN and Infinity are not JSON numbers.
      if (!Number.isFinite(value)) throw new TypeError(`${path}: ${value} is not a JSON number`);
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      break;
    default:
      // undefined (outside an object member), bigint, function, symbol.
      throw new TypeError(`${path}: a ${typeof value} is not a JSON value`);
  }
  if (depth > CANONICAL_JSON_MAX_DEPTH) throw new TypeError(`${path}: nested deeper than ${CANONICAL_JSON_MAX_DEPTH} levels`);
  if (ancestors.has(value)) throw new TypeError(`${path}: cycle (the value contains itself)`);
  ancestors.add(value);
  let text: string;
  if (Array.isArray(value)) {
    const parts: string[] = [];
    for (let i = 0; i < value.length; i++) parts.push(serialise(value[i], `${path}[${i}]`, String(i), ancestors, depth + 1));
    text = `[${parts.join(',')}]`;
  } else {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
      throw new TypeError(`${path}: a ${typeof name === 'string' && name ? name : 'non-plain object'} is not a JSON object`);
    }
    const record = value as Record<string, unknown>;
    // RFC 8785 3.2.3: sort by UTF-16 code units; `<` on strings compares exactly those.
    const names = Object.keys(record).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const parts: string[] = [];
    for (const name of names) {
      const member = record[name];
      if (member === undefined) continue;
      const memberPath = `${path}${/^[A-Za-z_$][\w$]*$/.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`}`;
      parts.push(`${serialiseString(name, memberPath)}:${serialise(member, memberPath, name, ancestors, depth + 1)}`);
    }
    text = `{${parts.join(',')}}`;
  }
  ancestors.delete(value);
  return text;
}

function serialiseString(text: string, path: string): string {
  // RFC 8785 3.2.2.2: lone surrogates must make a JCS implementation stop with an error.
  if (LONE_SURROGATE_RE.test(text)) throw new TypeError(`${path}: string holds a lone UTF-16 surrogate (not Unicode text)`);
  return JSON.stringify(text);
}
