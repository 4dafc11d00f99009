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

/** Characters that JSON.stringify escapes, and surrogates: strings without any are written as they are. */
const NEEDS_CARE_RE = /["\\\u0000-\u001F\uD800-\uDFFF]/;
const LONE_SURROGATE_RE = /\p{Cs}/u; // with the u flag a valid pair is one code point, not Cs

/**
 * The RFC 8785 canonical text of `value` (see the module comment for the exact rules).
 * Throws a TypeError naming the path (`$.data.list[2]`) of the first value that is not JSON.
 */
export function canonicalJson(value: unknown): string {
  return serialise(value, '', [], new Set());
}

/** `path` holds the member names and indexes down to `value`; it is formatted only for an error. */
function serialise(value: unknown, key: string, path: (string | number)[], ancestors: Set<object>): string {
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    value = (value as { toJSON(key: string): unknown }).toJSON(key);
  }
  switch (typeof value) {
    case 'string':
      return serialiseString(value, path);
    case 'number':
      // RFC 8785 3.2.2.3: NaN and Infinity are not JSON numbers.
      if (!Number.isFinite(value)) throw notJson(path, `${value} is not a JSON number`);
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      break;
    default:
      // undefined (outside an object member), bigint, function, symbol.
      throw notJson(path, `a ${typeof value} is not a JSON value`);
  }
  if (path.length >= CANONICAL_JSON_MAX_DEPTH) throw notJson(path, `nested deeper than ${CANONICAL_JSON_MAX_DEPTH} levels`);
  if (ancestors.has(value)) throw notJson(path, 'cycle (the value contains itself)');
  ancestors.add(value);
  let text: string;
  if (Array.isArray(value)) {
    text = '[';
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      text += (i === 0 ? '' : ',') + serialise(value[i], String(i), path, ancestors);
      path.pop();
    }
    text += ']';
  } else {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
      throw notJson(path, `a ${typeof name === 'string' && name ? name : 'non-plain object'} is not a JSON object`);
    }
    const record = value as Record<string, unknown>;
    // RFC 8785 3.2.3: sort by UTF-16 code units, which is what sort() does to strings by default.
    const names = Object.keys(record).sort();
    text = '{';
    for (const name of names) {
      const member = record[name];
      if (member === undefined) continue;
      path.push(name);
      text += (text.length === 1 ? '' : ',') + serialiseString(name, path) + ':' + serialise(member, name, path, ancestors);
      path.pop();
    }
    text += '}';
  }
  ancestors.delete(value);
  return text;
}

function serialiseString(text: string, path: (string | number)[]): string {
  if (!NEEDS_CARE_RE.test(text)) return `"${text}"`; // what JSON.stringify would write, only faster
  // RFC 8785 3.2.2.2: lone surrogates must make a JCS implementation stop with an error.
  if (LONE_SURROGATE_RE.test(text)) throw notJson(path, 'string holds a lone UTF-16 surrogate (not Unicode text)');
  return JSON.stringify(text);
}

function notJson(path: (string | number)[], problem: string): TypeError {
  const where = path.map((p) => (typeof p === 'number' ? `[${p}]` : /^[A-Za-z_$][\w$]*$/.test(p) ? `.${p}` : `[${JSON.stringify(p)}]`)).join('');
  return new TypeError(`$${where}: ${problem}`);
}
