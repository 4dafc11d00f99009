/**
 * A model of ClamAV body-signature hex strings (BodySignatureFormat.md): a random generator that only
 * produces what ClamAV 1.4's loader accepts, a renderer, and an instantiator that produces concrete bytes
 * that should (or, for near misses, should not) match.
 *
 * The instantiator's idea of "should match" is only used to plant useful bytes into files; the test's
 * oracle is clamscan itself, so an imprecise plant only costs coverage, never correctness.
 */
import type { Rng } from './rng.js';

/** Which bytes a signature is built from and which bytes its instances may contain. */
export type Domain = 'bin' | 'text' | 'lower';

export type ClassChar = 'B' | 'L' | 'W';
export interface Cls {
  c: ClassChar;
  neg: boolean;
}

export type Atom =
  | { t: 'byte'; v: number }
  | { t: 'any' }
  | { t: 'hi'; v: number }
  | { t: 'lo'; v: number }
  /** Fixed-length alternatives `(aa|bb)` / `(aabb|ccdd)`, optionally negated `!(...)`. */
  | { t: 'alt'; neg: boolean; opts: number[][] }
  /** Generic alternatives: members of different lengths, may contain `??`, `a?`, `?a`. */
  | { t: 'galt'; opts: Atom[][] }
  /** A class in the middle of a part: consumes bytes. */
  | { t: 'mcls'; cls: Cls }
  /** `{n}` with 0<n<128 inside the first part: ClamAV rewrites it to n×`??`. */
  | { t: 'skip'; n: number };

export type Gap =
  | { k: 'star' }
  | { k: 'exact'; n: number }
  | { k: 'range'; n: number; m: number }
  | { k: 'upto'; m: number }
  | { k: 'atleast'; n: number };

/** `AA[n-m]` before the first part or `[n-m]AA` after the last one. */
export interface Anchor {
  atom: Atom;
  n: number;
  m: number;
}

export interface HexSig {
  domain: Domain;
  lead?: Cls;
  left?: Anchor;
  parts: Atom[][];
  gaps: Gap[];
  right?: Anchor;
  trail?: Cls;
}

export interface HexGenOpts {
  domain: Domain;
  maxParts: number;
  anchors: boolean;
  classes: boolean;
  /**
   * Classes that consume a byte: `(X)` in the middle of a part and a negated leading `!(X)` (default true).
   * Off for signatures with a fixed offset: ClamAV 1.4 misses those unless some other pattern happens to
   * share its trie path (a quirk Vigil does not copy; cases.ts middle-class-with-pinned-offset).
   */
  midClasses?: boolean;
  /**
   * Leave out what triggers the open (undecided) disagreements of cases.ts: high-nibble anchor bytes `X?`,
   * a leading `!(B)`, `(W)` at the edges of a `::w` signature, and (with `midClasses: false`, i.e. a fixed
   * offset) alternatives whose members differ in length.
   */
  avoidOpen?: boolean;
  negAlt: boolean;
  genericAlt: boolean;
  skip: boolean;
  /** Prefer letters for static bytes (for `::i`). */
  letters?: boolean;
  /** The signature must be usable with the `w` modifier / `f` modifier. */
  wide?: boolean;
  fullword?: boolean;
  ascii?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Byte alphabets

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);
export const LOWER = range(0x61, 0x7a);
export const UPPER = range(0x41, 0x5a);
export const DIGITS = range(0x30, 0x39);
/** Punctuation allowed in text files: nothing that changes ClamAV's text normalisation or file typing. */
export const TEXT_PUNCT = Array.from('.,;:!?\'"=-/_@#%&+*()[]{}~^$|', (c) => c.charCodeAt(0));
export const TEXT_CHARS = [...LOWER, ...DIGITS, ...TEXT_PUNCT];
const ALL = range(0, 255);

/** ClamAV's `boundary[]` table (matcher-ac.c): 1 = left-only, 2 = right-only, 3 = both. */
const BOUNDARY = new Map<number, number>([
  [0x0a, 2], [0x0d, 2], [0x20, 3], [0x22, 2], [0x27, 2], [0x2d, 3], [0x2e, 1], [0x2f, 3], [0x3c, 1], [0x3d, 2], [0x3e, 2], [0x40, 1], [0x5f, 3],
]);
const isAlnum = (b: number) => (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);

export function staticAlphabet(d: Domain): number[] {
  return d === 'bin' ? ALL : d === 'text' ? TEXT_CHARS : LOWER;
}
/** Bytes an instance may contain where the signature does not pin them down. */
export function fillAlphabet(d: Domain): number[] {
  return d === 'bin' ? ALL : d === 'text' ? [...LOWER, ...DIGITS] : LOWER;
}

// ---------------------------------------------------------------------------------------------
// Rendering

const hex2 = (b: number, upper = false) => {
  const s = b.toString(16).padStart(2, '0');
  return upper ? s.toUpperCase() : s;
};
const hex1 = (n: number) => n.toString(16);

export function renderAtom(a: Atom): string {
  switch (a.t) {
    case 'byte':
      return hex2(a.v);
    case 'any':
      return '??';
    case 'hi':
      return `${hex1(a.v)}?`;
    case 'lo':
      return `?${hex1(a.v)}`;
    case 'alt':
      return `${a.neg ? '!' : ''}(${a.opts.map((o) => o.map((b) => hex2(b)).join('')).join('|')})`;
    case 'galt':
      return `(${a.opts.map((o) => o.map(renderAtom).join('')).join('|')})`;
    case 'mcls':
      return renderCls(a.cls);
    case 'skip':
      return `{${a.n}}`;
  }
}

const renderCls = (c: Cls) => `${c.neg ? '!' : ''}(${c.c})`;

export function renderGap(g: Gap): string {
  switch (g.k) {
    case 'star':
      return '*';
    case 'exact':
      return `{${g.n}}`;
    case 'range':
      return `{${g.n}-${g.m}}`;
    case 'upto':
      return `{-${g.m}}`;
    case 'atleast':
      return `{${g.n}-}`;
  }
}

export function gapBounds(g: Gap): { min: number; max: number | null } {
  switch (g.k) {
    case 'star':
      return { min: 0, max: null };
    case 'exact':
      return { min: g.n, max: g.n };
    case 'range':
      return { min: g.n, max: g.m };
    case 'upto':
      return { min: 0, max: g.m };
    case 'atleast':
      return { min: g.n, max: null };
  }
}

const renderRange = (n: number, m: number) => (n === m ? `[${n}]` : `[${n}-${m}]`);

export function renderHex(s: HexSig): string {
  let out = '';
  if (s.lead) out += renderCls(s.lead);
  if (s.left) out += renderAtom(s.left.atom) + renderRange(s.left.n, s.left.m);
  s.parts.forEach((p, i) => {
    if (i > 0) out += renderGap(s.gaps[i - 1]!);
    out += p.map(renderAtom).join('');
  });
  if (s.right) out += renderRange(s.right.n, s.right.m) + renderAtom(s.right.atom);
  if (s.trail) out += renderCls(s.trail);
  return out;
}

/** True when the signature is a plain byte string (ClamAV puts those into Boyer-Moore, which needs >= 3 bytes). */
/** True when the signature has an `AA[n-m]` / `[n-m]AA` anchor. */
export function hasAnchor(s: HexSig): boolean {
  return s.left !== undefined || s.right !== undefined;
}

/** True when the signature has a byte-consuming class (middle `(X)`, or a leading `!(X)`). */
export function hasMidClass(s: HexSig): boolean {
  return s.lead?.neg === true || s.parts.some((p) => p.some((a) => a.t === 'mcls'));
}

export function isStaticOnly(s: HexSig): boolean {
  return !s.lead && !s.left && !s.right && !s.trail && s.parts.length === 1 && s.parts[0]!.every((a) => a.t === 'byte');
}

// ---------------------------------------------------------------------------------------------
// Generation

function candidatesHi(d: Domain): number[] {
  const alpha = fillAlphabet(d);
  return range(0, 15).filter((h) => alpha.some((b) => b >> 4 === h));
}
function candidatesLo(d: Domain): number[] {
  const alpha = fillAlphabet(d);
  return range(0, 15).filter((l) => alpha.some((b) => (b & 15) === l));
}

function staticByte(rng: Rng, o: HexGenOpts): number {
  if (o.letters && rng.chance(0.8)) return rng.pick(o.domain === 'lower' ? LOWER : rng.chance(0.5) ? LOWER : UPPER);
  return rng.pick(staticAlphabet(o.domain));
}

function distinctSeqs(rng: Rng, o: HexGenOpts, count: number, len: () => number): number[][] {
  const seen = new Set<string>();
  const out: number[][] = [];
  for (let tries = 0; out.length < count && tries < 50; tries++) {
    const s = Array.from({ length: len() }, () => staticByte(rng, o));
    const key = s.join(',');
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(s);
  }
  return out;
}

/** A non-static atom (wildcards and alternatives), used in prefixes and in the body of a part. */
function wildAtom(rng: Rng, o: HexGenOpts): Atom {
  const kind = rng.weighted<string>([
    ['any', 3], ['hi', 2], ['lo', 2], ['alt1', 2], ['altn', 1], ['negalt', o.negAlt ? 1.5 : 0],
    ['galt', o.genericAlt && !(o.avoidOpen && o.midClasses === false) ? 1.5 : 0],
  ]);
  switch (kind) {
    case 'any':
      return { t: 'any' };
    case 'hi':
      return { t: 'hi', v: rng.pick(candidatesHi(o.domain)) };
    case 'lo':
      return { t: 'lo', v: rng.pick(candidatesLo(o.domain)) };
    case 'alt1':
      return { t: 'alt', neg: false, opts: distinctSeqs(rng, o, rng.int(1, 4), () => 1) };
    case 'altn': {
      const len = rng.int(2, 3);
      return { t: 'alt', neg: false, opts: distinctSeqs(rng, o, rng.int(2, 3), () => len) };
    }
    case 'negalt': {
      const len = rng.chance(0.6) ? 1 : rng.int(2, 3);
      return { t: 'alt', neg: true, opts: distinctSeqs(rng, o, rng.int(1, 3), () => len) };
    }
    default: {
      // Generic alternatives: variable-length members, some with wildcards.
      const n = rng.int(2, 3);
      const opts: Atom[][] = [];
      const seen = new Set<string>();
      for (let tries = 0; opts.length < n && tries < 30; tries++) {
        const len = rng.int(1, 3);
        const m: Atom[] = [];
        for (let i = 0; i < len; i++) {
          const r = rng.next();
          if (r < 0.7 || (i === 0 && len === 1)) m.push({ t: 'byte', v: staticByte(rng, o) });
          else if (r < 0.8) m.push({ t: 'any' });
          else if (r < 0.9) m.push({ t: 'hi', v: rng.pick(candidatesHi(o.domain)) });
          else m.push({ t: 'lo', v: rng.pick(candidatesLo(o.domain)) });
        }
        const key = m.map(renderAtom).join('');
        if (seen.has(key)) continue;
        seen.add(key);
        opts.push(m);
      }
      // ClamAV 1.4 bug: when one member can be a prefix of another (`(3b|3b26)`, `(3b|3b??)`) and the set
      // is backward-matched (before the AC start of the part), scanning logs "ac_findmatch: Unknown
      // metatype 0xff00". Keep members prefix-free.
      // With `::i` the comparison is case-insensitive (`(7a|5a62)::i`: `7a` is a prefix of `5a62`).
      const fold = (b: number) => (o.letters && b >= 0x41 && b <= 0x5a ? b + 0x20 : b);
      const compatible = (x: Atom, y: Atom) => !(x.t === 'byte' && y.t === 'byte' && fold(x.v) !== fold(y.v));
      const prefixOf = (a: Atom[], b: Atom[]) => a.length < b.length && a.every((x, i) => compatible(x, b[i]!));
      const free = opts.filter((a) => !opts.some((b) => a !== b && prefixOf(a, b)));
      return free.length >= 2 ? { t: 'galt', opts: free } : { t: 'alt', neg: false, opts: distinctSeqs(rng, o, 2, () => 1) };
    }
  }
}

function middleClass(rng: Rng, o: HexGenOpts): Cls {
  const chars: ClassChar[] = o.domain === 'bin' ? ['B', 'L', 'W'] : ['B', 'W'];
  const c = rng.pick(chars);
  return { c, neg: c !== 'L' && rng.chance(0.25) };
}

function genPart(rng: Rng, o: HexGenOpts, first: boolean): Atom[] {
  const atoms: Atom[] = [];
  if (rng.chance(0.3)) {
    const n = rng.int(1, 2);
    for (let i = 0; i < n; i++) atoms.push(wildAtom(rng, o));
  }
  const run = rng.int(2, 5);
  for (let i = 0; i < run; i++) atoms.push({ t: 'byte', v: staticByte(rng, o) });
  const extra = rng.weighted([[0, 3], [1, 2], [2, 2], [3, 2], [4, 1], [6, 1]] as const);
  for (let i = 0; i < extra; i++) {
    const k = rng.weighted<string>([
      ['byte', 4], ['wild', 3], ['mcls', o.classes && o.midClasses !== false ? 0.6 : 0], ['skip', first && o.skip ? 0.5 : 0],
    ]);
    if (k === 'byte') atoms.push({ t: 'byte', v: staticByte(rng, o) });
    else if (k === 'wild') atoms.push(wildAtom(rng, o));
    else if (k === 'mcls') {
      atoms.push({ t: 'mcls', cls: middleClass(rng, o) });
      atoms.push({ t: 'byte', v: staticByte(rng, o) }); // a class at the very end of a part would be zero-width
    } else {
      atoms.push({ t: 'skip', n: rng.int(1, 12) });
      atoms.push({ t: 'byte', v: staticByte(rng, o) });
    }
  }
  return atoms;
}

function genGap(rng: Rng): Gap {
  const k = rng.weighted<Gap['k']>([['star', 3], ['exact', 2], ['range', 3], ['upto', 2], ['atleast', 2]]);
  switch (k) {
    case 'star':
      return { k };
    case 'exact':
      return { k, n: rng.chance(0.7) ? rng.int(1, 20) : rng.int(120, 300) };
    case 'range': {
      const n = rng.int(0, 12);
      return { k, n, m: n + rng.int(1, rng.chance(0.8) ? 10 : 200) };
    }
    case 'upto':
      return { k, m: rng.int(1, 16) };
    case 'atleast':
      return { k, n: rng.int(1, 16) };
  }
}

function anchorAtom(rng: Rng, o: HexGenOpts): Atom {
  const r = rng.next();
  if (r < 0.7) return { t: 'byte', v: staticByte(rng, o) };
  if (r < 0.85) return o.avoidOpen ? { t: 'byte', v: staticByte(rng, o) } : { t: 'hi', v: rng.pick(candidatesHi(o.domain)) };
  return { t: 'lo', v: rng.pick(candidatesLo(o.domain)) };
}

/**
 * Left anchors stay within 26 bytes: ClamAV 1.4 misses a left anchor at distance >= 27 when distance +
 * first-part length >= 35, depending erratically on unrelated bytes at the start of the file (the quirk
 * behind cases.ts left-anchor-in-text-file and left-anchor-long-span-binary, which Vigil does not copy).
 */
const MAX_LEFT_ANCHOR = 26;
/**
 * ... and the anchor distance plus the (longest) length of the first part stays within 32 bytes: with
 * wildcards in a long first part, ClamAV also misses anchors at short distances (`c8[3-6]754e174fc3?8{16}??
 * 88f64fdbe485d97c`), presumably because its trie start moves to a later static run, lengthening the span.
 */
const MAX_LEFT_SPAN = 32;

function atomLen(a: Atom): number {
  switch (a.t) {
    case 'alt':
      return a.opts[0]!.length;
    case 'galt':
      return Math.max(...a.opts.map((m) => maxAtomsLen(m)));
    case 'mcls':
      return a.cls.c === 'L' ? 2 : 1;
    case 'skip':
      return a.n;
    default:
      return 1;
  }
}

function maxAtomsLen(atoms: Atom[]): number {
  return atoms.reduce((n, a) => n + atomLen(a), 0);
}

function genAnchorRange(rng: Rng, side: 'left' | 'right'): { n: number; m: number } {
  const max = side === 'left' ? MAX_LEFT_ANCHOR : 32;
  const n = Math.min(rng.int(0, rng.chance(0.8) ? 4 : 30), max);
  const m = Math.min(max, n + rng.int(0, rng.chance(0.8) ? 3 : 20));
  return { n, m };
}

/** A random signature that ClamAV's loader accepts (see clamAccepts). */
export function genHexSig(rng: Rng, o: HexGenOpts): HexSig {
  const mods: SigMods = { nocase: o.letters ?? false, wide: o.wide ?? false, fullword: o.fullword ?? false, ascii: o.ascii ?? false };
  for (let tries = 0; tries < 200; tries++) {
    const s = genHexSigRaw(rng, o);
    if (clamAccepts(s, mods)) return s;
  }
  throw new Error('genHexSig: could not generate an acceptable signature');
}

function genHexSigRaw(rng: Rng, o: HexGenOpts): HexSig {
  const nParts = Math.min(o.maxParts, rng.weighted([[1, 5], [2, 3], [3, 2], [4, 1]] as const));
  const s: HexSig = { domain: o.domain, parts: [], gaps: [] };
  for (let i = 0; i < nParts; i++) {
    if (i > 0) s.gaps.push(genGap(rng));
    s.parts.push(genPart(rng, o, i === 0));
  }
  const canClass = o.classes && !o.fullword;
  const canAnchor = o.anchors && !o.fullword && !o.wide;
  if (canClass && rng.chance(0.2)) s.lead = randomEdgeClass(rng, o, o.midClasses !== false, true);
  else if (canAnchor && rng.chance(0.2)) {
    s.left = { atom: anchorAtom(rng, o), ...genAnchorRange(rng, 'left') };
    // Keep the anchored span short (see MAX_LEFT_SPAN).
    const len = maxAtomsLen(s.parts[0]!);
    if (len + MAX_LEFT_ANCHOR > MAX_LEFT_SPAN) {
      s.left.m = Math.min(s.left.m, Math.max(0, MAX_LEFT_SPAN - len));
      s.left.n = Math.min(s.left.n, s.left.m);
      if (len > MAX_LEFT_SPAN) delete s.left;
    }
  }
  if (canClass && rng.chance(0.2)) s.trail = randomEdgeClass(rng, o, true, false);
  else if (canAnchor && rng.chance(0.15)) s.right = { atom: anchorAtom(rng, o), ...genAnchorRange(rng, 'right') };
  // Purely static byte strings need >= 3 bytes (Boyer-Moore); keep them longer anyway.
  if (isStaticOnly(s) && s.parts[0]!.length < 3) s.parts[0]!.push({ t: 'byte', v: staticByte(rng, o) });
  return s;
}

/** `mayNegate` false: no `!(X)` (at the start of a signature that is a byte-consuming class in ClamAV). */
function randomEdgeClass(rng: Rng, o: HexGenOpts, mayNegate: boolean, lead: boolean): Cls {
  let chars: ClassChar[] = o.domain === 'bin' ? ['B', 'L', 'W'] : ['B', 'W'];
  if (o.avoidOpen && o.wide) chars = chars.filter((c) => c !== 'W');
  const c = rng.pick(chars);
  return { c, neg: c !== 'L' && rng.chance(0.2) && mayNegate && !(o.avoidOpen && lead && c === 'B') };
}

// ---------------------------------------------------------------------------------------------
// Instantiation

export type MissKind = 'byte' | 'gap' | 'anchor' | 'class';

export interface InstOpts {
  /** Produce a near miss of this kind (best effort). */
  miss?: MissKind;
  /** The instance will be placed at file offset 0: a leading class is satisfied by the file start. */
  atFileStart?: boolean;
  /** The instance will end at EOF: a trailing class is satisfied by the end of file. */
  atFileEnd?: boolean;
  nocase?: boolean;
  wide?: boolean;
  fullword?: boolean;
  /** Prefer the smallest gaps (for offsets near EOF). */
  minGaps?: boolean;
}

export interface Instance {
  bytes: number[];
  /** Index in `bytes` where ClamAV's reported match start is (first byte of the first part). */
  start: number;
  /** What kind of near miss was actually produced (undefined = intended hit). */
  miss?: MissKind;
}

class Out {
  bytes: number[] = [];
  statics: number[] = [];
  constructor(private readonly wide: boolean) {}
  /** A byte that comes from a signature element (widened with `w`). */
  sig(b: number, isStatic = false): void {
    if (isStatic) this.statics.push(this.bytes.length);
    this.bytes.push(b);
    if (this.wide) this.bytes.push(0);
  }
  /** A byte that does not come from a hex element (gap fill, class neighbour). */
  raw(b: number): void {
    this.bytes.push(b);
  }
}

const boundaryClass = (b: number) => BOUNDARY.get(b) ?? 0;

function classBytes(c: Cls, side: 'left' | 'right' | 'middle', d: Domain, satisfy: boolean): number[][] {
  const alpha = d === 'bin' ? ALL : TEXT_CHARS;
  let ok: (seq: number[]) => boolean;
  if (c.c === 'B') {
    const want = side === 'left' ? [1, 3] : side === 'right' ? [2, 3] : [1, 2, 3];
    ok = (s) => want.includes(boundaryClass(s[0]!));
  } else if (c.c === 'W') ok = (s) => !isAlnum(s[0]!);
  else ok = (s) => s[0] === 0x0a || (side === 'right' && s[0] === 0x0d && s[1] === 0x0a);
  const wantMatch = satisfy !== c.neg;
  const singles = alpha.map((b) => [b]);
  const cands = [...singles, ...(c.c === 'L' && side !== 'left' && d === 'bin' ? [[0x0d, 0x0a]] : [])].filter((s) => ok(s) === wantMatch);
  return cands;
}

function pickWith(rng: Rng, alpha: number[], not: (b: number) => boolean): number {
  for (let i = 0; i < 100; i++) {
    const b = rng.pick(alpha);
    if (!not(b)) return b;
  }
  const all = alpha.filter((b) => !not(b));
  return all.length ? rng.pick(all) : rng.pick(alpha);
}

function caseFlip(rng: Rng, b: number, nocase: boolean, d: Domain): number {
  if (!nocase) return b;
  // Text files must stay lowercase (see TEXT_CHARS); binary files get a random mix of cases.
  if (d !== 'bin') return b >= 0x41 && b <= 0x5a ? b + 0x20 : b;
  if (!rng.chance(0.5)) return b;
  if (b >= 0x41 && b <= 0x5a) return b + 0x20;
  if (b >= 0x61 && b <= 0x7a) return b - 0x20;
  return b;
}

function emitAtom(rng: Rng, a: Atom, d: Domain, out: Out, o: InstOpts): void {
  const fill = fillAlphabet(d);
  switch (a.t) {
    case 'byte':
      out.sig(caseFlip(rng, a.v, o.nocase ?? false, d), true);
      return;
    case 'any':
      out.sig(rng.pick(fill));
      return;
    case 'hi':
      out.sig(pickWith(rng, fill, (b) => b >> 4 !== a.v));
      return;
    case 'lo':
      out.sig(pickWith(rng, fill, (b) => (b & 15) !== a.v));
      return;
    case 'alt': {
      if (!a.neg) {
        for (const b of rng.pick(a.opts)) out.sig(caseFlip(rng, b, o.nocase ?? false, d));
        return;
      }
      const len = a.opts[0]!.length;
      for (let tries = 0; ; tries++) {
        const s = Array.from({ length: len }, () => rng.pick(d === 'bin' ? ALL : TEXT_CHARS));
        if (tries > 50 || !a.opts.some((m) => m.every((b, i) => b === s[i]))) {
          for (const b of s) out.sig(b);
          return;
        }
      }
    }
    case 'galt':
      for (const m of rng.pick(a.opts)) emitAtom(rng, m, d, out, o);
      return;
    case 'mcls': {
      const seq = rng.pick(classBytes(a.cls, 'middle', d, true));
      for (const b of seq) out.raw(b);
      return;
    }
    case 'skip':
      // `{n}` is not widened by `w`: it stays n bytes.
      for (let i = 0; i < a.n; i++) out.raw(rng.pick(fill));
      return;
  }
}

function gapLength(rng: Rng, g: Gap, minGaps: boolean, violate: boolean): number {
  const { min, max } = gapBounds(g);
  if (violate) {
    if (max !== null && (min === 0 || rng.chance(0.5))) return max + 1;
    return Math.max(0, min - 1);
  }
  if (minGaps) return min;
  const hi = max ?? min + rng.pick([0, 3, 10, 40]);
  return rng.int(min, Math.min(hi, min + 64));
}

function canViolateGap(g: Gap): boolean {
  const { min, max } = gapBounds(g);
  return min > 0 || max !== null;
}

/** Concrete bytes for a signature (a hit, or a near miss of the requested kind when possible). */
export function instantiate(rng: Rng, s: HexSig, o: InstOpts = {}): Instance {
  const d = s.domain;
  const fill = fillAlphabet(d);
  let miss = o.miss;
  if (miss === 'gap' && !s.gaps.some(canViolateGap)) miss = 'byte';
  if (miss === 'anchor' && !s.left && !s.right) miss = 'byte';
  if (miss === 'class' && !s.lead && !s.trail && !o.fullword) miss = 'byte';
  const wide = o.wide ?? false;
  const out = new Out(wide);
  const classSide = miss === 'class' ? (s.lead || (o.fullword && rng.chance(0.5)) ? 'lead' : 'trail') : null;

  // Leading class / fullword neighbour.
  const leadCls: Cls | undefined = s.lead ?? (o.fullword ? { c: 'W', neg: false } : undefined);
  let negLeadAt = -1;
  if (s.lead?.neg) {
    // ClamAV quirk: a negated class at the very start is not a zero-width assertion but a special that
    // consumes one byte (cli_ac_addsig only recognises `(X)` at offset 0 of the string as a left marker).
    negLeadAt = out.bytes.length;
    const cands = classBytes(s.lead, 'middle', d, classSide !== 'lead');
    out.raw(cands.length ? rng.pick(cands)[0]! : rng.pick(fill));
  } else if (leadCls && (!o.atFileStart || classSide === 'lead')) {
    const cands = classBytes(leadCls, 'left', d, classSide !== 'lead');
    if (cands.length) for (const b of rng.pick(cands)) out.raw(b);
    if (wide && o.fullword && out.bytes.length) out.raw(0);
  }
  if (s.left) {
    emitAtom(rng, s.left.atom, d, out, o);
    let k = rng.int(s.left.n, s.left.m);
    if (miss === 'anchor' && (s.right === undefined || rng.chance(0.5))) {
      k = s.left.n > 0 && rng.chance(0.5) ? s.left.n - 1 : s.left.m + 1;
      miss = undefined; // consumed
      out.statics.length = 0;
      const start = out.bytes.length + k;
      for (let i = 0; i < k; i++) out.raw(rng.pick(fill));
      return finish(rng, s, o, out, start, 'anchor', classSide);
    }
    for (let i = 0; i < k; i++) out.raw(rng.pick(fill));
  }
  const start = negLeadAt >= 0 ? negLeadAt : out.bytes.length;
  return finish(rng, s, o, out, start, miss, classSide);
}

function finish(rng: Rng, s: HexSig, o: InstOpts, out: Out, start: number, miss: MissKind | undefined, classSide: string | null): Instance {
  const d = s.domain;
  const fill = fillAlphabet(d);
  let produced: MissKind | undefined = miss === 'anchor' ? 'anchor' : undefined;
  const violGap = miss === 'gap' ? rng.pick(s.gaps.map((g, i) => [g, i] as const).filter(([g]) => canViolateGap(g)))[1] : -1;
  s.parts.forEach((p, i) => {
    if (i > 0) {
      const len = gapLength(rng, s.gaps[i - 1]!, o.minGaps ?? false, i - 1 === violGap);
      for (let j = 0; j < len; j++) out.raw(rng.pick(fill));
    }
    for (const a of p) emitAtom(rng, a, d, out, o);
  });
  if (violGap >= 0) produced = 'gap';
  if (s.right) {
    let k = rng.int(s.right.n, s.right.m);
    if (miss === 'anchor' && produced !== 'anchor') {
      k = s.right.n > 0 && rng.chance(0.5) ? s.right.n - 1 : s.right.m + 1;
      produced = 'anchor';
    }
    for (let i = 0; i < k; i++) out.raw(rng.pick(fill));
    emitAtom(rng, s.right.atom, d, out, o);
  }
  const trailCls: Cls | undefined = s.trail ?? (o.fullword ? { c: 'W', neg: false } : undefined);
  if (trailCls && (!o.atFileEnd || classSide === 'trail')) {
    const cands = classBytes(trailCls, 'right', d, classSide !== 'trail');
    if (cands.length) for (const b of rng.pick(cands)) out.raw(b);
  }
  if (classSide) produced = 'class';
  if (miss === 'byte' && out.statics.length) {
    const pos = rng.pick(out.statics);
    const old = out.bytes[pos]!;
    const lower = old | 0x20;
    const alpha = d === 'bin' ? ALL : TEXT_CHARS;
    out.bytes[pos] = pickWith(rng, alpha, (b) => b === old || (o.nocase === true && (b | 0x20) === lower && isAlnum(b)));
    produced = 'byte';
  }
  return { bytes: out.bytes, start: Math.min(start, out.bytes.length), ...(produced ? { miss: produced } : {}) };
}

// ---------------------------------------------------------------------------------------------
// ClamAV loader constraints (matcher-ac.c cli_ac_addsig / cli_ac_addpatt, filtering.c filter_add_acpatt)

/** How ClamAV's AC loader sees one element of a part. */
type Elem = 'char' | 'any' | 'nibble' | 'altchar' | 'stop';

export interface SigMods {
  nocase?: boolean;
  wide?: boolean;
  fullword?: boolean;
  /** `a` with `w`: the plain variant is added too (still with modifiers set). */
  ascii?: boolean;
}

const anyMods = (m: SigMods) => m.nocase === true || m.wide === true || m.fullword === true || m.ascii === true;

function atomElems(a: Atom, m: SigMods): Elem[] {
  const w = (e: Elem): Elem[] => (m.wide ? [e, 'char'] : [e]);
  switch (a.t) {
    case 'byte':
      return w('char');
    case 'any':
      return w('any');
    case 'hi':
    case 'lo':
      return w('nibble');
    case 'alt':
      // Single-byte sets without modifiers are ALT_CHAR; anything else is a string alternative.
      return !anyMods(m) && a.opts[0]!.length === 1 ? ['altchar'] : ['stop'];
    case 'galt':
      // A "generic" set whose members are all single plain bytes is an ALT_CHAR set after all.
      return !anyMods(m) && a.opts.every((o) => o.length === 1 && o[0]!.t === 'byte') ? ['altchar'] : ['stop'];
    case 'mcls':
      return ['stop'];
    case 'skip':
      return Array.from({ length: a.n }, () => 'any' as const);
  }
}

/**
 * The parts ClamAV adds to the AC trie: `*` always splits; braces split unless they are a `{n}` (0<n<128)
 * that is the first remaining brace in the string (those are rewritten to n×`??`).
 */
function effectiveParts(s: HexSig, m: SigMods): Elem[][] {
  const parts: Elem[][] = [[]];
  let expanding = true;
  const lead: Elem[] = s.lead?.neg ? ['stop'] : []; // `!(X)` at the very start is not a zero-width assertion
  parts[0]!.push(...lead);
  s.parts.forEach((p, i) => {
    if (i > 0) {
      const g = s.gaps[i - 1]!;
      if (g.k === 'exact' && g.n > 0 && g.n < 128 && expanding) parts[parts.length - 1]!.push(...Array.from({ length: g.n }, () => 'any' as const));
      else {
        if (g.k !== 'star') expanding = false;
        parts.push([]);
      }
    }
    for (const a of p) {
      if (a.t === 'skip' && !expanding) throw new Error('skip atom after a split brace');
      parts[parts.length - 1]!.push(...atomElems(a, m));
    }
  });
  return parts;
}

function hasStaticRun(p: Elem[]): boolean {
  for (let i = 0; i + 1 < p.length; i++) if (p[i] === 'char' && p[i + 1] === 'char') return true;
  return false;
}

/** filtering.c: skip leading string alternatives/classes, then >= 2 elements before the next one, not only `????`. */
function filterOk(p: Elem[]): boolean {
  let i = 0;
  while (i < p.length && p[i] === 'stop') i++;
  const run: Elem[] = [];
  for (; i < p.length && p[i] !== 'stop'; i++) run.push(p[i]!);
  if (run.length < 2) return false;
  if (run.every((e) => e === 'char')) return true;
  for (let k = 0; k + 1 < run.length; k++) if (!(run[k] === 'any' && run[k + 1] === 'any')) return true;
  return false;
}

/** Would ClamAV 1.4 load this body signature? (Conservative: may reject a few it would accept.) */
export function clamAccepts(s: HexSig, m: SigMods = {}): boolean {
  if (m.wide && m.ascii) return clamAccepts(s, { ...m, ascii: false }) && clamAccepts(s, { ...m, wide: false });
  let parts: Elem[][];
  try {
    parts = effectiveParts(s, m);
  } catch {
    return false;
  }
  return parts.every((p) => p.length >= 2 && hasStaticRun(p) && filterOk(p));
}
