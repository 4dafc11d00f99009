import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  LICENSE_KEY_ALPHABET,
  checkLicenseKey,
  generateLicenseKey,
  hashLicenseKey,
  licenseKeyHint,
  normalizeLicenseKey,
} from '../../src/protocol/index.js';

const KEY_RE = /^VGL(-[0-9A-HJKMNP-TV-Z]{5}){5}$/;
const symbolsOf = (key: string) => key.slice(4).replaceAll('-', '');
const keyOf = (symbols: string) => `VGL-${symbols.match(/.{5}/g)!.join('-')}`;
const reasonOf = (input: unknown) => {
  const r = checkLicenseKey(input);
  return r.ok ? 'ok' : r.reason;
};

/** The valid keys among the 1,024 completions of 23 symbols, found by asking checkLicenseKey only. */
function completions(body: string): string[] {
  const found: string[] = [];
  for (const a of LICENSE_KEY_ALPHABET) for (const b of LICENSE_KEY_ALPHABET) if (checkLicenseKey(body + a + b).ok) found.push(keyOf(body + a + b));
  return found;
}

const sampleKey = () => completions('7K3QMX9TAE0R4WDNB2ZH5GC')[0]!;

describe('generateLicenseKey', () => {
  it('writes VGL- and five groups of five Crockford base32 symbols that check', () => {
    for (let i = 0; i < 200; i++) {
      const key = generateLicenseKey();
      expect(key).toMatch(KEY_RE);
      expect(checkLicenseKey(key)).toEqual({ ok: true, key });
    }
  });

  it('draws new keys every time', () => {
    const keys = new Set(Array.from({ length: 2000 }, generateLicenseKey));
    expect(keys.size).toBe(2000);
  });

  it('uses every symbol at every random position (115 random bits)', () => {
    const seen = Array.from({ length: 23 }, () => new Set<string>());
    for (let i = 0; i < 2000; i++) Array.from(symbolsOf(generateLicenseKey()).slice(0, 23)).forEach((c, j) => seen[j]!.add(c));
    expect(seen.every((s) => s.size === 32)).toBe(true);
  });
});

describe('the check symbols', () => {
  it('complete any 23 symbols in exactly one way', () => {
    for (const body of ['0'.repeat(23), 'Z'.repeat(23), symbolsOf(generateLicenseKey()).slice(0, 23)]) {
      expect(completions(body)).toHaveLength(1);
    }
  });

  it('refuse the all-zero string', () => {
    expect(reasonOf('0'.repeat(25))).toBe('checksum does not match: a character is mistyped');
  });

  it('catch every single substitution and every adjacent transposition, on many keys', () => {
    const keys = [sampleKey(), ...Array.from({ length: 30 }, generateLicenseKey)];
    let tried = 0;
    for (const key of keys) {
      const s = symbolsOf(key);
      for (let i = 0; i < 25; i++) {
        for (const c of LICENSE_KEY_ALPHABET) {
          if (c === s[i]) continue;
          tried++;
          expect(reasonOf(keyOf(s.slice(0, i) + c + s.slice(i + 1))), `${key} with ${c} at ${i + 1}`).toBe('checksum does not match: a character is mistyped');
        }
        if (i < 24 && s[i] !== s[i + 1]) {
          tried++;
          const swapped = s.slice(0, i) + s[i + 1]! + s[i]! + s.slice(i + 2);
          expect(reasonOf(keyOf(swapped)), `${key} swapping ${i + 1} and ${i + 2}`).toBe('checksum does not match: a character is mistyped');
        }
      }
    }
    expect(tried).toBeGreaterThanOrEqual(31 * 25 * 31);
  });

  it('catch every error in two symbols on a sample key (distance 3), swaps at any distance included', () => {
    const s = symbolsOf(sampleKey());
    const values = Array.from(s, (c) => LICENSE_KEY_ALPHABET.indexOf(c));
    let caught = 0;
    for (let i = 0; i < 25; i++) {
      for (let j = i + 1; j < 25; j++) {
        for (let a = 1; a < 32; a++) {
          for (let b = 1; b < 32; b++) {
            const v = [...values];
            v[i] = v[i]! ^ a;
            v[j] = v[j]! ^ b;
            if (checkLicenseKey(v.map((x) => LICENSE_KEY_ALPHABET[x]).join('')).ok) throw new Error(`missed a change at ${i + 1} and ${j + 1}`);
            caught++;
          }
        }
      }
    }
    expect(caught).toBe(300 * 31 * 31);
  });
});

describe('normalizeLicenseKey', () => {
  it('upper-cases, ignores spaces, hyphens and dashes, and puts the prefix and hyphens back', () => {
    const key = generateLicenseKey();
    const s = symbolsOf(key);
    expect(normalizeLicenseKey(key.toLowerCase())).toBe(key);
    expect(normalizeLicenseKey(s)).toBe(key);
    expect(normalizeLicenseKey(`  ${s.match(/.{5}/g)!.join(' ')}\n`)).toBe(key);
    expect(normalizeLicenseKey(`vgl ${s.match(/.{5}/g)!.join('\u2013')}`)).toBe(key);
    expect(normalizeLicenseKey(s.split('').join('-'))).toBe(key);
  });

  it('reads the look-alikes I and L as 1, O as 0', () => {
    expect(normalizeLicenseKey('VGL-10101-ILOIO-ilolo-00000-11111')).toBe('VGL-10101-11010-11010-00000-11111');
  });

  it('keeps the third symbol of a key typed without prefix as "VGL..." (L for 1)', () => {
    const key = completions(`VG1${'0'.repeat(20)}`)[0]!;
    expect(key.startsWith('VGL-VG1')).toBe(true);
    const typed = `VGL${symbolsOf(key).slice(3)}`; // 25 characters: no prefix
    expect(normalizeLicenseKey(typed)).toBe(key);
    expect(checkLicenseKey(typed)).toEqual({ ok: true, key });
    expect(checkLicenseKey(`VGL-${typed}`)).toEqual({ ok: true, key });
  });

  it('never throws, and leaves what is not a key not a key', () => {
    expect(normalizeLicenseKey('')).toBe('VGL-');
    expect(normalizeLicenseKey('hello world')).toBe('VGL-HE110-W0R1D');
    expect(checkLicenseKey(normalizeLicenseKey('hello world')).ok).toBe(false);
  });
});

describe('checkLicenseKey', () => {
  const key = sampleKey();
  const s = symbolsOf(key);

  it('accepts a key however it is typed, and answers its normal form', () => {
    expect(checkLicenseKey(key)).toEqual({ ok: true, key });
    expect(checkLicenseKey(` ${s.toLowerCase().replaceAll('0', 'o').replaceAll('1', 'l')} `)).toEqual({ ok: true, key });
  });

  it('says how many characters are missing or extra', () => {
    expect(reasonOf(key.slice(0, -1))).toBe('too short: 24 of 25 characters');
    expect(reasonOf(`${key}7`)).toBe('too long: 26 of 25 characters');
    expect(reasonOf('VGL-')).toBe('empty: a license key looks like VGL-XXXXX-XXXXX-XXXXX-XXXXX-XXXXX');
    expect(reasonOf('  ')).toMatch(/^empty/);
  });

  it('names a character that keys never use, and where it is', () => {
    expect(reasonOf(`VGL-${s.slice(0, 6)}U${s.slice(7)}`)).toBe("character 'U' at position 7 is not used in license keys");
    expect(reasonOf(`${s.slice(0, 2)}*${s.slice(3)}`)).toBe("character '*' at position 3 is not used in license keys");
    expect(reasonOf(`${s.slice(0, 24)}\u202e`)).toBe('character U+202E at position 25 is not used in license keys');
    expect(reasonOf(`${s.slice(0, 24)}\u{1F600}`)).toBe('character U+1F600 at position 25 is not used in license keys');
    expect(reasonOf(`${s.slice(0, 24)}\u00e9`)).toBe('character U+00E9 at position 25 is not used in license keys');
  });

  it('says when the prefix is wrong', () => {
    expect(reasonOf(`VGX-${s}`)).toBe('does not start with VGL-: a license key looks like VGL-XXXXX-XXXXX-XXXXX-XXXXX-XXXXX');
  });

  it('says when the checksum does not match', () => {
    expect(reasonOf(`${s.slice(0, 24)}${s[24] === 'Z' ? 'Y' : 'Z'}`)).toBe('checksum does not match: a character is mistyped');
  });

  it('refuses what is not text, and very long text without reading it', () => {
    for (const v of [undefined, null, 42, {}, [], Buffer.from(key)]) expect(reasonOf(v)).toMatch(/^not text/);
    expect(reasonOf('A'.repeat(10_000_000))).toBe('too long: 10000000 characters, where a license key looks like VGL-XXXXX-XXXXX-XXXXX-XXXXX-XXXXX');
  });

  it('never throws, and accepts only keys whose normal form round-trips (fuzz)', () => {
    const keyish = fc.string({ unit: fc.constantFrom(...'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefilo -\u2013 \t\u00e9'.split('')), maxLength: 40 });
    const edited = fc
      .tuple(fc.nat(40), fc.nat(40), fc.string({ maxLength: 3 }))
      .map(([at, cut, insert]) => {
        const k = generateLicenseKey();
        return k.slice(0, at) + insert + k.slice(Math.min(k.length, at + (cut % 3)));
      });
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.string(), keyish, edited), (input) => {
        const r = checkLicenseKey(input);
        if (r.ok) {
          expect(r.key).toMatch(KEY_RE);
          expect(normalizeLicenseKey(r.key)).toBe(r.key);
          expect(normalizeLicenseKey(input as string)).toBe(r.key);
          expect(checkLicenseKey(r.key)).toEqual(r);
        } else {
          expect(typeof r.reason).toBe('string');
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe('licenseKeyHint and hashLicenseKey', () => {
  it('hints with the last five symbols', () => {
    expect(licenseKeyHint('VGL-7K3QM-X9TAE-0R4WD-NB2ZH-5GCPF')).toBe('5GCPF');
    expect(licenseKeyHint('vgl 7k3qm x9tae 0r4wd nb2zh 5gcpf')).toBe('5GCPF');
  });

  it('hashes the prefix and the normal form (a fixed vector)', () => {
    const key = 'VGL-7K3QM-X9TAE-0R4WD-NB2ZH-5GCPF';
    const expected = createHash('sha256').update(`vigil-license-key-v1\n${key}`).digest('hex');
    expect(hashLicenseKey(key)).toBe(expected);
    expect(hashLicenseKey(key)).toBe('e735cad07f1fed70af8f3389930dcfafa0607e9c16be87e74088d4e275103ec3');
    expect(hashLicenseKey('7k3qm x9tae or4wd nb2zh 5gcpf')).toBe(expected);
    expect(hashLicenseKey(generateLicenseKey())).not.toBe(expected);
  });
});
