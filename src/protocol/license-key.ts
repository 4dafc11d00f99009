/**
 * License keys: what a customer types to activate a machine, e.g.
 * `VGL-7K3QM-X9TAE-0R4WD-NB2ZH-5GCPF`.
 *
 * After the `VGL-` prefix come 25 symbols of Crockford's base32 (https://www.crockford.com/base32.html:
 * digits and letters without I, L, O, U), in five groups of five: 23 random symbols (115 bits, from
 * the operating system's CSPRNG) and 2 check symbols.
 *
 * The check symbols make the 25 symbols a word of an affine Reed–Solomon code over GF(32) with two
 * check symbols: reading each symbol's value 0..31 as an element of GF(32) = GF(2)[x]/(x^5 + x^2 + 1)
 * and α = x, a key is valid when
 *     Σ v_j = K0   and   Σ v_j·α^j = K1      (j = 0..24, sums in GF(32))
 * where (K0, K1) come from SHA-256("VGL"), so that trivial strings such as all zeros are not keys and
 * a later format with another prefix gets other constants. Any two columns (1, α^i), (1, α^j) of
 * that check matrix are independent (α has order 31 > 25), so the code has minimum distance 3: every
 * error in one or two symbols changes a sum and is caught. That covers every single mistyped symbol
 * and every swap of two symbols, adjacent or not. A check truncated from a hash cannot promise this:
 * 10 bits of SHA-256 let about 1 error in 1,024 through, and a key has some 800 single-symbol
 * errors, so most keys would have an undetected typo. A random string passes with odds 1 in 1,024.
 *
 * Typing is forgiving, as Crockford's scheme intends: lower case is upper-cased, spaces and hyphens
 * are ignored, and the look-alikes I and L are read as 1, O as 0. The cloud stores only
 * hashLicenseKey(key), never the key.
 */
import { createHash, randomBytes } from 'node:crypto';

/** The prefix before the first hyphen; the checksum constants are derived from it. */
export const LICENSE_KEY_PREFIX = 'VGL';
/** Crockford's base32 alphabet, in value order. */
export const LICENSE_KEY_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** Symbols after the prefix: 23 random, then 2 check symbols. */
export const LICENSE_KEY_SYMBOLS = 25;
/** Random symbols of a key (5 bits each: 115 bits). */
export const LICENSE_KEY_RANDOM_SYMBOLS = 23;
/** Domain separation before the normalized key in hashLicenseKey. */
export const LICENSE_KEY_HASH_PREFIX = 'vigil-license-key-v1\n';
/** Longer input is refused without looking at it (a key with prefix, hyphens and spaces is ~40). */
export const LICENSE_KEY_MAX_INPUT_CHARS = 256;

export type LicenseKeyCheck = { ok: true; key: string } | { ok: false; reason: string };

const GROUP = 5;
const VALUE = new Map(Array.from(LICENSE_KEY_ALPHABET, (c, i) => [c, i] as const));
const LOOK_ALIKES: Record<string, string> = { I: '1', L: '1', O: '0' };
/** Whitespace, hyphens and dashes (as pasted from documents), soft hyphen, zero-width characters. */
const SEPARATORS_RE = /[\s\-_\u00ad\u2010-\u2015\u2212\u200b-\u200d\u2060\ufeff]/g;

// GF(32) with the primitive polynomial x^5 + x^2 + 1: EXP[i] = α^i (doubled to skip a modulo), LOG its inverse.
const EXP = new Uint8Array(62);
const LOG = new Uint8Array(32);
for (let i = 0, x = 1; i < 31; i++) {
  EXP[i] = EXP[i + 31] = x;
  LOG[x] = i;
  x <<= 1;
  if (x & 32) x ^= 0b100101;
}
const mul = (a: number, b: number): number => (a === 0 || b === 0 ? 0 : EXP[LOG[a]! + LOG[b]!]!);
const div = (a: number, b: number): number => (a === 0 ? 0 : EXP[(LOG[a]! + 31 - LOG[b]!) % 31]!);

/** The sums both check equations must reach: 5 bits each from SHA-256 of the prefix. */
const [K0, K1] = ((h: Buffer) => [h[0]! & 31, h[1]! & 31])(createHash('sha256').update(LICENSE_KEY_PREFIX).digest());

/** (Σ v_j, Σ v_j·α^j) over the symbol values given, positions from 0. */
function syndromes(values: readonly number[]): [number, number] {
  let s0 = 0;
  let s1 = 0;
  for (let j = 0; j < values.length; j++) {
    s0 ^= values[j]!;
    s1 ^= mul(values[j]!, EXP[j]!);
  }
  return [s0, s1];
}

/** The two check values that complete 23 data values (solving the two equations for positions 23, 24). */
function checkValues(data: readonly number[]): [number, number] {
  const [s0, s1] = syndromes(data);
  const r0 = s0 ^ K0;
  const r1 = s1 ^ K1;
  const a = EXP[23]!;
  const b = EXP[24]!;
  const c24 = div(r1 ^ mul(r0, a), a ^ b);
  return [r0 ^ c24, c24];
}

/** `VGL-` and the symbols in groups of five. */
function format(symbols: readonly string[]): string {
  const groups: string[] = [];
  for (let i = 0; i < symbols.length; i += GROUP) groups.push(symbols.slice(i, i + GROUP).join(''));
  return `${LICENSE_KEY_PREFIX}-${groups.join('-')}`;
}

/** A new random key in normal form. */
export function generateLicenseKey(): string {
  const data = [...randomBytes(LICENSE_KEY_RANDOM_SYMBOLS)].map((b) => b & 31); // 256 is a multiple of 32: uniform
  const values = [...data, ...checkValues(data)];
  return format(values.map((v) => LICENSE_KEY_ALPHABET[v]!));
}

/**
 * The 25 symbols of `input` without prefix or separators, upper-cased (ASCII only) and with look-alikes
 * mapped; characters that are not symbols are kept, for checkLicenseKey to name.
 */
function symbolsOf(input: string): { symbols: string[]; prefixed: boolean } {
  let compact = input.replace(SEPARATORS_RE, '').replace(/[a-z]+/g, (s) => s.toUpperCase());
  // The prefix is optional. 25 characters starting with "VGL" are a key without prefix whose third
  // symbol was typed as L for 1.
  const prefixed = compact.startsWith(LICENSE_KEY_PREFIX) && compact.length !== LICENSE_KEY_SYMBOLS;
  if (prefixed) compact = compact.slice(LICENSE_KEY_PREFIX.length);
  return { symbols: Array.from(compact, (c) => LOOK_ALIKES[c] ?? c), prefixed };
}

/**
 * The normal form `VGL-XXXXX-XXXXX-XXXXX-XXXXX-XXXXX` of what a user typed: upper case, separators
 * dropped, I and L read as 1, O as 0, prefix and hyphens put back. Never throws; input that is not a
 * key stays not a key (checkLicenseKey says why).
 */
export function normalizeLicenseKey(input: string): string {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-conversion -- a caller from plain JavaScript or parsed input may pass a non-string here; the check and its message must not throw on it
  return format(symbolsOf(String(input)).symbols);
}

/** Whether `input` is a license key, in words a user understands when it is not. Never throws. */
export function checkLicenseKey(input: unknown): LicenseKeyCheck {
  const example = `${LICENSE_KEY_PREFIX}-XXXXX-XXXXX-XXXXX-XXXXX-XXXXX`;
  if (typeof input !== 'string') return { ok: false, reason: `not text: a license key looks like ${example}` };
  if (input.length > LICENSE_KEY_MAX_INPUT_CHARS) return { ok: false, reason: `too long: ${input.length} characters, where a license key looks like ${example}` };
  const { symbols, prefixed } = symbolsOf(input);
  if (symbols.length === 0) return { ok: false, reason: `empty: a license key looks like ${example}` };
  const bad = symbols.findIndex((c) => !VALUE.has(c));
  if (bad !== -1) return { ok: false, reason: `character ${describeChar(symbols[bad]!)} at position ${bad + 1} is not used in license keys` };
  if (!prefixed && symbols.length === LICENSE_KEY_SYMBOLS + LICENSE_KEY_PREFIX.length) {
    return { ok: false, reason: `does not start with ${LICENSE_KEY_PREFIX}-: a license key looks like ${example}` };
  }
  if (symbols.length < LICENSE_KEY_SYMBOLS) return { ok: false, reason: `too short: ${symbols.length} of ${LICENSE_KEY_SYMBOLS} characters` };
  if (symbols.length > LICENSE_KEY_SYMBOLS) return { ok: false, reason: `too long: ${symbols.length} of ${LICENSE_KEY_SYMBOLS} characters` };
  const [s0, s1] = syndromes(symbols.map((c) => VALUE.get(c)!));
  if (s0 !== K0 || s1 !== K1) return { ok: false, reason: 'checksum does not match: a character is mistyped' };
  return { ok: true, key: format(symbols) };
}

/** The last 5 symbols of a key, to show which key without showing the key (e.g. "5GCPF"). */
export function licenseKeyHint(key: string): string {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-conversion -- a caller from plain JavaScript or parsed input may pass a non-string here; the check and its message must not throw on it
  return symbolsOf(String(key)).symbols.slice(-GROUP).join('');
}

/**
 * Hex SHA-256 of LICENSE_KEY_HASH_PREFIX + the normal form of `key`: what the cloud stores and looks
 * keys up by. Any typed form of one key hashes alike; check the key first, this does not.
 */
export function hashLicenseKey(key: string): string {
  return createHash('sha256').update(LICENSE_KEY_HASH_PREFIX + normalizeLicenseKey(key), 'utf8').digest('hex');
}

/** 'U' for a printable ASCII character; U+202E for anything else (which could upset a terminal). */
function describeChar(c: string): string {
  if (/^[\x21-\x7e]$/.test(c)) return `'${c}'`;
  return `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}
