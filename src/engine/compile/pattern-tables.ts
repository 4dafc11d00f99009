/**
 * The body pattern tables of the image: a PATTERNS record per pattern variant (layout.ts P), a
 * SEGMENTS record per fixed-length segment of a variant (layout.ts S) with its bytecode in PROGRAM,
 * and for every segment not anchored to the end of the file the atom the prefilter indexes it by.
 * The reach of the atoms (how far verification may read around one) goes into the image's meta.
 */
import { tokenLengths } from '../signatures/index.js';
import type { BodyPattern } from '../signatures/index.js';
import { chooseAtom, type Atom } from './atoms.js';
import { encodeSegment } from './encode-program.js';
import { GrowableI32, GrowableU8 } from './growable.js';
import { P, S } from '../image-layout.js';

/** Bytes before a match start that assertions may read: `[n-m]` look-behind (up to 33) and boundaries (1). */
const LOOKBEHIND_SLACK = 36;

/** P.KIND of a pattern: a body signature's (.ndb) or a logical signature's subsignature. */
export const PATTERN_KIND = { BODY: 0, SUBSIGNATURE: 1 } as const;

/** A segment's atom, as the prefilter tables index it. */
export interface SegmentAtom {
  atom: Atom;
  segment: number;
}

export class PatternTables {
  readonly patterns = new GrowableI32();
  readonly segments = new GrowableI32();
  readonly program = new GrowableU8();
  readonly atoms: SegmentAtom[] = [];
  /** Patterns anchored to the end of the file: checked directly, without an atom. */
  readonly eofPatterns: number[] = [];
  maxLookbehind = 1;
  maxLookahead = 1;
  maxEof = 0;

  /**
   * Adds every variant of `pat`: `owner` is the name's offset in STRINGS for a body signature, the
   * logical signature's index for a subsignature (number `subsig` of it).
   */
  add(pat: BodyPattern, kind: number, owner: number, subsig: number, target: number): void {
    const off = pat.offset;
    for (const variant of pat.variants) {
      const patternId = this.patterns.length / P.FIELDS;
      const firstSegment = this.segments.length / S.FIELDS;
      this.patterns.push(
        kind, owner, subsig, target,
        off.kind === 'any' ? 0 : off.kind === 'abs' ? 1 : 2,
        off.kind === 'any' ? 0 : off.value,
        off.kind === 'any' ? 0 : off.maxShift,
        0, firstSegment, variant.segments.length,
      );
      variant.segments.forEach((seg, index) => {
        const segmentId = this.segments.length / S.FIELDS;
        const len = tokenLengths(seg.tokens);
        const at = this.program.push(encodeSegment(seg.tokens));
        this.segments.push(patternId, index, at, len.min, len.max, seg.gapBefore);
        const atom = chooseAtom(seg.tokens);
        if (off.kind !== 'eof') this.atoms.push({ atom, segment: segmentId });
        this.maxLookbehind = Math.max(this.maxLookbehind, atom.lmax + LOOKBEHIND_SLACK);
        this.maxLookahead = Math.max(this.maxLookahead, len.max - atom.lmin + 2);
      });
      if (off.kind === 'eof') {
        this.eofPatterns.push(patternId);
        this.maxEof = Math.max(this.maxEof, off.value + LOOKBEHIND_SLACK);
      }
    }
  }
}
