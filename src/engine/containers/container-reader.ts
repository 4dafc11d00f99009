/**
 * The contract every container format keeps with the tree walk (tree-scan.ts): one reader a format,
 * listed in the registry (registry.ts), which is all the walk and the scanner know of formats.
 *
 * A reader never throws on hostile input on purpose: a damaged container is answered with `issue`
 * members. (Should one throw anyway, the walk reports the container `corrupt` and goes on.) It never
 * sizes a buffer from a length in the input, and it takes members lazily: the walk may stop reading
 * at any member (a finding, a limit).
 */
import type { LimitName } from '../result.js';
import type { Member, ReadBounds } from './member.js';

/** What a reader may be told beyond its bounds. */
export interface ReadOptions {
  /** Heuristic detections are on (--heuristic-alerts), e.g. ZIP's overlapping entries. */
  heuristics: boolean;
}

export interface ContainerReader<Name extends string = string> {
  /** The format's name, as detectContainer and the results report it (`zip`, `tar`, `7z`). */
  readonly name: Name;
  /** True when the whole object `b` is this format, from its content only (never a file name). */
  detect(b: Uint8Array): boolean;
  /**
   * True when an input whose head (its first bytes only) is `head` may be this format, so the
   * scanner reads the input whole to unpack it. At least as loose as `detect` on the same bytes.
   */
  sniff(head: Uint8Array): boolean;
  /**
   * The members of `b`, as the walk takes them. `bounds` caps the entries listed and, for a reader
   * that unpacks ahead of the walk, gives the scan budget every kept byte is counted in.
   */
  members(b: Uint8Array, bounds: ReadBounds, options: ReadOptions): Iterable<Member> | AsyncIterable<Member>;
  /**
   * The scan limits the reader enforces itself while reading (the walk enforces every limit on what
   * it takes in any case): `max-files` through `bounds.maxEntries`; a reader that unpacks ahead also
   * the byte, ratio and time limits through `bounds.budget`.
   */
  readonly limits: readonly LimitName[];
}

/** The limit every reader that lists entries honours: no more than `bounds.maxEntries` of them. */
export const LISTING_LIMITS: readonly LimitName[] = ['max-files'];
