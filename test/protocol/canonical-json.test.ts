import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CANONICAL_JSON_MAX_DEPTH, canonicalJson } from '../../src/protocol/index.js';

/** A reference built another way: sort keys into a fresh object, then let JSON.stringify write it. */
/**
 * The oracle: JSON.stringify with members written in sorted order. It writes objects itself,
 * because a JavaScript object lists integer-like keys ("0", "1") first whatever order they were
 * added in, so stringifying a key-sorted copy would not keep the sort.
 */
function sortedJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(sortedJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${sortedJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

describe('canonicalJson (RFC 8785)', () => {
  it('sorts member names by UTF-16 code units, the RFC 8785 3.2.3 test data', () => {
    const input = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    // Values in the order they are written (JSON.parse would put the integer-like name "1" first).
    const written = [...canonicalJson(input).matchAll(/:"([^"]+)"/g)].map((m) => m[1]);
    expect(written).toEqual([
      'Carriage Return',
      'One',
      'Control',
      'Latin Small Letter O With Diaeresis',
      'Euro Sign',
      'Emoji: Grinning Face',
      'Hebrew Letter Dalet With Dagesh',
    ]);
  });

  it('writes the RFC 8785 3.2.2 sample exactly as 3.2.3 and 3.2.4 show it', () => {
    const parsed: unknown = JSON.parse(
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],\n' +
        ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",\n "literals": [null, true, false]}',
    );
    const text = canonicalJson(parsed);
    expect(text).toBe('{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}');
    expect(Buffer.from(text, 'utf8').toString('hex')).toBe(
      '7b226c69746572616c73223a5b6e756c6c2c747275652c66616c73655d2c226e756d62657273223a' +
        '5b3333333333333333332e333333333333332c31652b33302c342e352c302e3030322c31652d3237' +
        '5d2c22737472696e67223a22e282ac245c75303030665c6e4127425c225c5c5c5c5c222f227d',
    );
  });

  it('writes numbers as ECMAScript does (RFC 8785 appendix B values)', () => {
    const fromBits = (hex: string) => Buffer.from(hex, 'hex').readDoubleBE(0);
    expect(canonicalJson(fromBits('8000000000000000'))).toBe('0'); // -0
    expect(canonicalJson(fromBits('0000000000000001'))).toBe('5e-324');
    expect(canonicalJson(fromBits('7fefffffffffffff'))).toBe('1.7976931348623157e+308');
    expect(canonicalJson(fromBits('4340000000000000'))).toBe('9007199254740992');
    expect(canonicalJson(fromBits('44b52d02c7e14af6'))).toBe('1e+23');
    expect(canonicalJson(fromBits('3eb0c6f7a0b5ed8d'))).toBe('0.000001');
    expect(canonicalJson(fromBits('3e7ad7f29abcaf48'))).toBe('1e-7');
  });

  it('escapes only what JSON.stringify escapes', () => {
    expect(canonicalJson('"\\\b\f\n\r\t\u0000\u001f')).toBe('"\\"\\\\\\b\\f\\n\\r\\t\\u0000\\u001f"');
    // DEL, C1 controls, U+2028/2029, non-ASCII and astral characters stay as they are.
    expect(canonicalJson('\u007f\u0085\u2028\u2029é😀/')).toBe('"\u007f\u0085\u2028\u2029é😀/"');
    expect(canonicalJson({ 'a"b': 1 })).toBe('{"a\\"b":1}');
  });

  it('sorts nested objects, keeps array order and writes no whitespace', () => {
    const v = { b: [3, { z: 1, a: [true, null] }, 'x'], a: { d: {}, c: [] } };
    expect(canonicalJson(v)).toBe('{"a":{"c":[],"d":{}},"b":[3,{"a":[true,null],"z":1},"x"]}');
  });

  it('omits members whose value is undefined', () => {
    expect(canonicalJson({ a: undefined, b: 1, c: { d: undefined } })).toBe('{"b":1,"c":{}}');
  });

  it('uses toJSON, so a Date becomes its ISO text', () => {
    expect(canonicalJson({ at: new Date(Date.UTC(2024, 8, 29, 4)) })).toBe('{"at":"2024-09-29T04:00:00.000Z"}');
  });

  it('accepts the same object twice when it is not a cycle', () => {
    const shared = { x: 1 };
    expect(canonicalJson([shared, { s: shared }])).toBe('[{"x":1},{"s":{"x":1}}]');
    expect(canonicalJson(Object.assign(Object.create(null) as object, { b: 2, a: 1 }))).toBe('{"a":1,"b":2}');
  });

  it.each([
    ['NaN', { a: [1, Number.NaN] }, /\$\.a\[1\]: NaN is not a JSON number/],
    ['Infinity', { a: Number.POSITIVE_INFINITY }, /\$\.a: Infinity is not a JSON number/],
    ['-Infinity', Number.NEGATIVE_INFINITY, /\$: -Infinity/],
    ['bigint', { n: 1n }, /\$\.n: a bigint is not a JSON value/],
    ['function', { f: () => 1 }, /\$\.f: a function/],
    ['symbol', [Symbol('s')], /\$\[0\]: a symbol/],
    ['undefined at the top', undefined, /\$: a undefined/],
    ['undefined in an array', [1, undefined], /\$\[1\]: a undefined/],
    ['a Map', { m: new Map([[1, 2]]) }, /\$\.m: a Map is not a JSON object/],
    ['a class instance', { c: new (class Point { readonly x = 1; })() }, /\$\.c: a Point/],
    ['a lone surrogate in a string', { s: 'a\udead' }, /\$\.s: string holds a lone UTF-16 surrogate/],
    ['a lone surrogate in a name', { 'k\ud800': 1 }, /lone UTF-16 surrogate/],
    ['an odd member name', { 'a b': [Number.NaN] }, /\$\["a b"\]\[0\]: NaN/],
  ])('rejects %s with a TypeError naming where', (_name, value, message) => {
    expect(() => canonicalJson(value)).toThrow(TypeError);
    expect(() => canonicalJson(value)).toThrow(message);
  });

  it('rejects cycles', () => {
    const a: Record<string, unknown> = { x: 1 };
    a.self = { back: a };
    expect(() => canonicalJson(a)).toThrow(/\$\.self\.back: cycle/);
    const arr: unknown[] = [];
    arr.push(arr);
    expect(() => canonicalJson(arr)).toThrow(/\$\[0\]: cycle/);
  });

  it(`rejects nesting deeper than ${CANONICAL_JSON_MAX_DEPTH} levels, whatever the stack size`, () => {
    const nest = (n: number): unknown => (n === 1 ? [] : [nest(n - 1)]);
    expect(canonicalJson(nest(CANONICAL_JSON_MAX_DEPTH))).toBe('['.repeat(CANONICAL_JSON_MAX_DEPTH) + ']'.repeat(CANONICAL_JSON_MAX_DEPTH));
    expect(() => canonicalJson(nest(CANONICAL_JSON_MAX_DEPTH + 1))).toThrow(/nested deeper than/);
    expect(() => canonicalJson(JSON.parse('['.repeat(100_000) + ']'.repeat(100_000)))).toThrow(TypeError);
  });

  it('property: equals JSON written member by member in sorted order, and parses back to itself', () => {
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: 'grapheme' }), (v) => {
        const text = canonicalJson(v);
        expect(text).toBe(sortedJson(v));
        expect(canonicalJson(JSON.parse(text))).toBe(text);
      }),
      { numRuns: 500 },
    );
  });

  it('property: member order in the input does not matter', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ unit: 'binary' }), fc.jsonValue(), { maxKeys: 12 }), fc.infiniteStream(fc.nat()), (dict, randoms) => {
        let text: string;
        try {
          text = canonicalJson(dict);
        } catch (e) {
          // Only a lone surrogate in a name or a string may stop it.
          expect(String(e)).toMatch(/lone UTF-16 surrogate/);
          return;
        }
        const entries = Object.entries(dict);
        const it = randoms[Symbol.iterator]();
        for (let i = entries.length - 1; i > 0; i--) {
          const j = it.next().value! % (i + 1);
          [entries[i], entries[j]] = [entries[j]!, entries[i]!];
        }
        expect(canonicalJson(Object.fromEntries(entries))).toBe(text);
      }),
      { numRuns: 300 },
    );
  });
});
