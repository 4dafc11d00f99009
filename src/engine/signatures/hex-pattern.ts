/**
 * Parser for ClamAV's hex body-signature syntax (ClamAV docs, "Body-based signature content format").
 *
 * The pattern becomes a list of segments: maximal stretches whose length is bounded. Segments are
 * separated by unbounded gaps (`*`, `{n-}`); inside a segment every gap is bounded (`??`, `{n}`,
 * `{-n}`, `{n-m}`, `[n-m]`). The matcher finds segments in order, each one after the previous.
 */
import { VigilError } from '../../protocol/index.js';

/** A single byte: matches when `(b & mask) === value`. mask 0xFF exact, 0xF0/0x0F nibble, 0xDF a letter in any case. */
export interface ByteToken { t: 'byte'; value: number; mask: number }
/** Any of a set of single bytes (alternatives of one byte each, possibly negated). */
export interface SetToken { t: 'set'; bits: Uint8Array }
/** Any of several byte strings, each a list of value/mask pairs; `negated` only for equal-length alternatives. */
export interface AltToken { t: 'alts'; items: { value: number[]; mask: number[] }[]; negated: boolean }
/** A bounded run of any bytes. */
export interface GapToken { t: 'gap'; min: number; max: number }
/**
 * Character classes (B) word boundary, (L) line boundary, (W) non-alphanumeric. At the start or end
 * of a pattern they assert on the neighbouring byte (or the file edge) without consuming it; in the
 * middle they consume one byte of the class.
 */
export interface ClassToken { t: 'class'; cls: 'B' | 'L' | 'W'; negated: boolean; where: 'before' | 'after' | 'middle' }
/**
 * `AA[n-m]REST`: byte AA lies n..m bytes before the match, which starts at REST (ClamAV reports
 * REST's start). A look-behind that consumes nothing.
 */
export interface BehindToken { t: 'behind'; value: number; mask: number; min: number; max: number }
export type Token = ByteToken | SetToken | AltToken | GapToken | ClassToken | BehindToken;

export interface Segment {
  tokens: Token[];
  /** Unbounded gap before this segment: at least this many bytes after the previous segment ends. */
  gapBefore: number;
}

export class PatternSyntaxError extends VigilError {
  readonly code = 'E005';
}

/**
 * Largest bounded gap accepted. Bounded gaps stay inside their segment, so the matcher's window
 * must hold them: this caps the window any signature can ask for.
 */
export const MAX_BOUNDED_GAP = 16 * 1024 * 1024;

const HEX = '0123456789abcdef';

function hexValue(c: string): number {
  const v = HEX.indexOf(c.toLowerCase());
  return v;
}

/** Parses one hex pair with nibble wildcards into value/mask. */
function parsePair(hi: string, lo: string, where: number): { value: number; mask: number } {
  let value = 0;
  let mask = 0;
  if (hi !== '?') {
    const v = hexValue(hi);
    if (v < 0) throw new PatternSyntaxError(`invalid hex digit '${hi}' at position ${where}`);
    value |= v << 4;
    mask |= 0xf0;
  }
  if (lo !== '?') {
    const v = hexValue(lo);
    if (v < 0) throw new PatternSyntaxError(`invalid hex digit '${lo}' at position ${where + 1}`);
    value |= v;
    mask |= 0x0f;
  }
  return { value, mask };
}

function parseNumber(text: string, where: number): number {
  if (!/^\d{1,9}$/.test(text)) throw new PatternSyntaxError(`expected a number at position ${where}, got '${text}'`);
  return Number(text);
}

/** Parses `n`, `-n`, `n-`, `n-m` from inside braces. max = Infinity for unbounded. */
function parseRange(body: string, where: number): { min: number; max: number } {
  const dash = body.indexOf('-');
  if (dash < 0) {
    const n = parseNumber(body, where);
    return { min: n, max: n };
  }
  const a = body.slice(0, dash);
  const b = body.slice(dash + 1);
  const min = a === '' ? 0 : parseNumber(a, where);
  const max = b === '' ? Infinity : parseNumber(b, where + dash + 1);
  if (a === '' && b === '') throw new PatternSyntaxError(`empty range at position ${where}`);
  if (max < min) throw new PatternSyntaxError(`range {${body}} has max below min at position ${where}`);
  return { min, max };
}

function parseAlternatives(body: string, negated: boolean, where: number): Token {
  const parts = body.split('|');
  const items = parts.map((p, i) => {
    if (p.length === 0 || p.length % 2 !== 0) {
      throw new PatternSyntaxError(`alternative ${i + 1} at position ${where} is not whole hex bytes: '${p}'`);
    }
    const value: number[] = [];
    const mask: number[] = [];
    for (let k = 0; k < p.length; k += 2) {
      const b = parsePair(p[k]!, p[k + 1]!, where + k);
      value.push(b.value);
      mask.push(b.mask);
    }
    return { value, mask };
  });
  const len = items[0]!.value.length;
  const sameLength = items.every((it) => it.value.length === len);
  if (negated && !sameLength) throw new PatternSyntaxError(`negated alternative at position ${where} needs choices of equal length`);
  if (len === 1 && sameLength && items.every((it) => it.mask[0] === 0xff)) {
    const bits = new Uint8Array(32);
    for (const it of items) bits[it.value[0]! >> 3]! |= 1 << (it.value[0]! & 7);
    if (negated) for (let i = 0; i < 32; i++) bits[i] = ~bits[i]! & 0xff;
    return { t: 'set', bits };
  }
  return { t: 'alts', items, negated };
}

/** Parses a hex signature into tokens (before segmentation). */
export function parseHexTokens(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = src.length;
  if (n === 0) throw new PatternSyntaxError('empty pattern');
  while (i < n) {
    const c = src[i]!;
    if (c === '*') {
      tokens.push({ t: 'gap', min: 0, max: Infinity });
      i++;
    } else if (c === '{') {
      const close = src.indexOf('}', i);
      if (close < 0) throw new PatternSyntaxError(`unclosed '{' at position ${i}`);
      const r = parseRange(src.slice(i + 1, close), i + 1);
      // ClamAV: a gap whose maximum is 0 ({0}, {-0}) is unbounded, like `*`.
      tokens.push({ t: 'gap', min: r.min, max: r.max === 0 ? Infinity : r.max });
      i = close + 1;
    } else if (c === '[') {
      const close = src.indexOf(']', i);
      if (close < 0) throw new PatternSyntaxError(`unclosed '[' at position ${i}`);
      const r = parseRange(src.slice(i + 1, close), i + 1);
      if (!Number.isFinite(r.max) || r.max > 32) throw new PatternSyntaxError(`anchored range [${src.slice(i + 1, close)}] must be bounded by 32`);
      const prev = tokens[tokens.length - 1];
      if (tokens.length === 1 && prev?.t === 'byte') {
        // AA[n-m]REST: AA becomes a look-behind; the match starts at REST.
        tokens[0] = { t: 'behind', value: prev.value, mask: prev.mask, min: r.min, max: r.max };
      } else if (src.length - (close + 1) === 2 && !/[?]{2}/.test(src.slice(close + 1))) {
        tokens.push({ t: 'gap', min: r.min, max: r.max });
      } else {
        throw new PatternSyntaxError(`anchored byte range at position ${i} needs exactly one byte on its outer side`);
      }
      i = close + 1;
    } else if (c === '(' || (c === '!' && src[i + 1] === '(')) {
      const negated = c === '!';
      const open = negated ? i + 1 : i;
      const close = src.indexOf(')', open);
      if (close < 0) throw new PatternSyntaxError(`unclosed '(' at position ${open}`);
      const body = src.slice(open + 1, close);
      if (body === 'B' || body === 'L' || body === 'W') {
        const where = tokens.length === 0 ? 'before' : close + 1 === n ? 'after' : 'middle';
        if (where === 'middle' && body === 'L' && negated) throw new PatternSyntaxError(`!(L) in the middle of a pattern is not supported`);
        tokens.push({ t: 'class', cls: body, negated, where });
      } else {
        if (body.length === 0) throw new PatternSyntaxError(`empty alternative at position ${open}`);
        if (/[*{}]/.test(body)) throw new PatternSyntaxError(`alternative at position ${open} cannot hold '*' or '{'`);
        tokens.push(parseAlternatives(body, negated, open + 1));
      }
      i = close + 1;
    } else {
      if (i + 1 >= n) throw new PatternSyntaxError(`odd number of hex digits at position ${i}`);
      const b = parsePair(c, src[i + 1]!, i);
      // `??` stays a (fully masked) byte, not a gap: `::w` widens it, as ClamAV does, but not {n}.
      tokens.push({ t: 'byte', value: b.value, mask: b.mask });
      i += 2;
    }
  }
  return tokens;
}

/** Splits tokens into segments at unbounded (or very large) gaps, merging adjacent bounded gaps. */
export function segmentTokens(tokens: Token[]): Segment[] {
  const segments: Segment[] = [];
  let current: Token[] = [];
  let gapBefore = 0;
  for (const tok of tokens) {
    if (tok.t === 'gap' && tok.max !== Infinity && tok.max > MAX_BOUNDED_GAP) {
      throw new PatternSyntaxError(`gap of up to ${tok.max} bytes is larger than the ${MAX_BOUNDED_GAP} supported`);
    }
    if (tok.t === 'gap' && tok.max === Infinity) {
      if (current.length === 0 && segments.length === 0) {
        throw new PatternSyntaxError('pattern cannot start with an unbounded gap');
      }
      if (current.length > 0) {
        segments.push({ tokens: current, gapBefore });
        current = [];
        gapBefore = 0;
      }
      gapBefore += tok.min;
      continue;
    }
    const last = current[current.length - 1];
    if (tok.t === 'gap' && last?.t === 'gap') {
      current[current.length - 1] = { t: 'gap', min: last.min + tok.min, max: last.max + tok.max };
    } else {
      current.push(tok);
    }
  }
  if (current.length === 0) throw new PatternSyntaxError('pattern cannot end with an unbounded gap');
  segments.push({ tokens: current, gapBefore });
  for (const s of segments) {
    if (s.tokens.every((t) => t.t === 'gap' || t.t === 'class' || t.t === 'behind' || (t.t === 'byte' && t.mask === 0))) throw new PatternSyntaxError('a part of the pattern between unbounded gaps has only wildcards');
  }
  return segments;
}

export interface PatternOptions {
  nocase?: boolean;
  wide?: boolean;
  /** `::f`: the match is wrapped as (W)pattern(W). */
  fullword?: boolean;
}

/** Letters become case-insensitive bytes: (b & 0xDF) === uppercase letter matches both cases and nothing else. */
function foldCase(tok: Token): Token {
  const isLetter = (v: number) => (v >= 0x41 && v <= 0x5a) || (v >= 0x61 && v <= 0x7a);
  if (tok.t === 'byte' && tok.mask === 0xff && isLetter(tok.value)) return { t: 'byte', value: tok.value & 0xdf, mask: 0xdf };
  if (tok.t === 'behind' && tok.mask === 0xff && isLetter(tok.value)) return { ...tok, value: tok.value & 0xdf, mask: 0xdf };
  if (tok.t === 'set') {
    const bits = new Uint8Array(tok.bits);
    for (let v = 0; v < 256; v++) {
      if (isLetter(v) && bits[v >> 3]! & (1 << (v & 7))) {
        const o = v ^ 0x20;
        bits[o >> 3]! |= 1 << (o & 7);
      }
    }
    return { t: 'set', bits };
  }
  if (tok.t === 'alts') {
    return {
      t: 'alts',
      negated: tok.negated,
      items: tok.items.map((it) => ({
        value: it.value.map((v, k) => (it.mask[k] === 0xff && isLetter(v) ? v & 0xdf : v)),
        mask: it.mask.map((m, k) => (m === 0xff && isLetter(it.value[k]!) ? 0xdf : m)),
      })),
    };
  }
  return tok;
}

/** UTF-16LE form of an ASCII pattern: every byte (and `??`) is followed by a zero byte; gaps stay as written, as in ClamAV. */
function widen(tokens: Token[]): Token[] {
  const out: Token[] = [];
  const zero: ByteToken = { t: 'byte', value: 0, mask: 0xff };
  for (const tok of tokens) {
    if (tok.t === 'gap') out.push(tok);
    else if (tok.t === 'alts') {
      out.push({
        t: 'alts',
        negated: tok.negated,
        items: tok.items.map((it) => ({
          value: it.value.flatMap((v) => [v, 0]),
          mask: it.mask.flatMap((m) => [m, 0xff]),
        })),
      });
    } else if (tok.t === 'class' || tok.t === 'behind') out.push(tok);
    else out.push(tok, zero);
  }
  return out;
}

/** Parses a hex pattern, applies the nocase/wide modifiers, and splits it into segments. */
export function parsePattern(src: string, opts: PatternOptions = {}): Segment[] {
  let tokens = parseHexTokens(src);
  if (opts.nocase) tokens = tokens.map(foldCase);
  if (opts.wide) tokens = widen(tokens);
  if (opts.fullword) {
    tokens = [{ t: 'class', cls: 'W', negated: false, where: 'before' }, ...tokens, { t: 'class', cls: 'W', negated: false, where: 'after' }];
  }
  return segmentTokens(tokens);
}

/** Smallest and largest number of bytes a token list can match. */
export function tokenLengths(tokens: Token[]): { min: number; max: number } {
  let min = 0;
  let max = 0;
  for (const t of tokens) {
    if (t.t === 'gap') {
      min += t.min;
      max += t.max;
    } else if (t.t === 'alts') {
      min += Math.min(...t.items.map((i) => i.value.length));
      max += Math.max(...t.items.map((i) => i.value.length));
    } else if (t.t === 'behind' || (t.t === 'class' && t.where !== 'middle')) {
      // consumes nothing
    } else if (t.t === 'class' && t.cls === 'L') {
      min += 1;
      max += 2;
    } else {
      min += 1;
      max += 1;
    }
  }
  return { min, max };
}
