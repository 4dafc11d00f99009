/**
 * What an audit finds. A problem is a verdict, not an exception: the audit goes on and lists every
 * problem it can, each with a stable code. Split views (a checkpoint from another party that cannot
 * be one history with the log this auditor sees) are listed apart, with both checkpoint texts.
 */

export type AuditProblemCode =
  // TUF metadata (TUF 1.0 5.3 to 5.6).
  | 'ROOT_UNTRUSTED' // the repository's root at the trusted version is not the trusted root
  | 'ROOT_INVALID' // a root version does not verify against the previous one or itself
  | 'ROOT_NOT_IN_LOG' // a root version the repository serves has no log entry
  | 'ROOT_MISMATCH' // a root log entry names other bytes than the repository's root file
  | 'METADATA_INVALID' // targets, snapshot or timestamp missing, unparsable or badly signed
  // The transparency log.
  | 'CHECKPOINT_INVALID' // the checkpoint does not verify with the log key the root names
  | 'CLOCK_INVALID' // the clock's cosignature is present and does not verify
  | 'TILE_INVALID' // a tile or entry bundle is missing, malformed, or not the tree the checkpoint signs
  | 'ENTRY_INVALID' // a log entry is not a canonical JSON entry of a known kind, or out of order
  | 'LOG_SHRINK' // the log is smaller than a checkpoint seen before
  | 'LOG_FORK' // same size as a checkpoint seen before, another root
  | 'LOG_INCONSISTENT' // no valid consistency proof from a checkpoint seen before
  // Releases.
  | 'TARGET_MISMATCH' // the release's targets version does not list its image with the logged digest and length
  | 'IMAGE_INVALID' // the image is missing, not the logged bytes, or not a database image
  | 'RELEASE_NOT_IN_LOG' // the targets metadata lists an image the log does not hold
  | 'RELEASE_NOT_IN_TARGETS' // a logged release is not listed by the newest targets metadata
  // Checkpoints given by other parties.
  | 'WITNESS_INVALID'; // not a checkpoint of this log signed by its key

export interface AuditProblem {
  code: AuditProblemCode;
  message: string;
}

export interface SignatureCounts {
  hash: number;
  body: number;
  logical: number;
  allow: number;
  /** hash + body + logical + allow (ClamAV's "known viruses"). */
  total: number;
}

export interface AuditedRelease {
  number: number;
  /** The leaf index of its log entry. */
  logIndex: number;
  targetsVersion: number;
  image: { name: string; sha256: string; length: number };
  /** Counted from the verified image; absent when the image did not verify. */
  signatures?: SignatureCounts;
  verified: boolean;
}

export interface AuditedRoot {
  version: number;
  logIndex: number | undefined;
  sha256: string;
  length: number;
}

/** Two checkpoints of one log that cannot both be true: the log shows different histories. */
export interface SplitView {
  reason: string;
  /** The checkpoint this auditor verified (from the source), as text. */
  ours: string;
  /** The other party's checkpoint, as text, and where it came from. */
  theirs: string;
  witness: string;
}

export interface AuditedWitness {
  source: string;
  size?: number;
  consistent: boolean;
}

export interface AuditReport {
  source: string;
  state: string;
  origin: string | undefined;
  /** The root version trusted at the start, and how (a file, the state folder, first use). */
  trustedRoot: { version: number; from: 'option' | 'state' | 'first-use' } | undefined;
  roots: AuditedRoot[];
  log: { size: number; rootHash: string; time?: string; checkpointsSeen: number } | undefined;
  releases: AuditedRelease[];
  witnesses: AuditedWitness[];
  splitViews: SplitView[];
  problems: AuditProblem[];
  warnings: string[];
  /** True when there are no problems and no split views. */
  ok: boolean;
}
