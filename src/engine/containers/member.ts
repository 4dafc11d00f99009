/** What a container format hands to the tree walk: objects to scan, and what it noticed on the way. */
import type { ContainerIssue, LimitName } from '../result.js';
import type { Decoder } from './decoders.js';
import type { ScanBudget } from './scan-budget.js';

export type Member =
  /** An object stored as is: a view of the container's bytes (nothing copied, nothing held). */
  | { kind: 'stored'; name: string | null; bytes: Uint8Array; truncated?: boolean }
  /**
   * An object to decompress from `input`. `name` null: the container is a single compressed stream
   * (gzip, bzip2) and the object takes its path, as `files.tar.gz//docs/a.zip` names the tar's member.
   */
  | { kind: 'compressed'; name: string | null; input: Uint8Array; decoder: Decoder; truncated?: boolean }
  /**
   * An entry that cannot be scanned, or a fault of the container itself (`name` null). `alert`: the
   * heuristic an `encrypted` issue is reported as with --alert-encrypted (default `Heuristics.Encrypted.Zip`).
   */
  | { kind: 'issue'; name: string | null; code: ContainerIssue['code']; detail: string; incomplete: boolean; alert?: string }
  /**
   * A limit a format reader reached while unpacking ahead of the walk (7-Zip extracts a whole archive
   * at once): recorded as the walk records its own, at the member it stopped in.
   */
  | { kind: 'limit'; name: string | null; limit: LimitName }
  /** A heuristic detection about the container (potentially unwanted, as ClamAV reports it). */
  | { kind: 'heuristic'; signature: string };

/** Limits a format reader needs so that what it builds stays small. */
export interface ReadBounds {
  /** Stop after this many entries (the tree walk stops at max-files anyway). */
  maxEntries: number;
  /**
   * The scan's budget, for readers that unpack ahead of the walk: every byte they keep is counted as
   * `pending` and `held` until the walk takes it, and `remainingScan` caps what they unpack.
   */
  budget: ScanBudget;
}
