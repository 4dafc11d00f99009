/**
 * The one error class of the transparency log library. Every failure, from a caller's bad argument
 * to a forged checkpoint, is a TlogError with a `code` from TlogErrorCode, so that a client or an
 * auditor can tell a malformed proof from a proof that does not match, and a fork from a shrink.
 */
import { VigilError, type VigilErrorOptions } from '../vigil-error.js';

export type TlogErrorCode =
  // The caller asked for something impossible (a size that is not a safe integer, index >= size, ...).
  | 'BAD_ARGUMENT'
  // A proof of the wrong number of hashes, or with a hash that is not 32 bytes.
  | 'MALFORMED_PROOF'
  // A leaf index at or past the tree size, or a proof for sizes that cannot have one.
  | 'INDEX_OUT_OF_RANGE'
  // A well-formed proof that does not lead to the given root(s).
  | 'ROOT_MISMATCH'
  // A tile or an entry bundle of the wrong length or content, or a path that is not a tile path.
  | 'MALFORMED_TILE'
  | 'MALFORMED_BUNDLE'
  // A tile or bundle that the storage or the server does not have.
  | 'MISSING_TILE'
  // An entry longer than an entry bundle can hold (65,535 bytes).
  | 'ENTRY_TOO_LARGE'
  // Signed notes and keys (C2SP signed-note).
  | 'MALFORMED_NOTE'
  | 'MALFORMED_KEY'
  | 'UNKNOWN_KEY'
  | 'BAD_SIGNATURE'
  // Checkpoints (C2SP tlog-checkpoint).
  | 'MALFORMED_CHECKPOINT'
  | 'WRONG_ORIGIN'
  // A sequence of checkpoints that cannot all be true (see verifyConsistencyChain).
  | 'FORK'
  | 'SHRINK'
  | 'INCONSISTENT'
  // The log's own storage holds something the log did not write.
  | 'STORAGE_CORRUPT';

export interface TlogErrorDetails {
  /** For notes and checkpoints: the 1-based line the problem is on. */
  line?: number;
  /** For verifyConsistencyChain: the position of the newer checkpoint of the pair that failed. */
  index?: number;
}

export class TlogError extends VigilError {
  readonly line: number | undefined;
  readonly index: number | undefined;

  constructor(
    readonly code: TlogErrorCode,
    message: string,
    details: TlogErrorDetails = {},
    options?: VigilErrorOptions,
  ) {
    super(details.line === undefined ? message : `line ${details.line}: ${message}`, options);
    this.name = 'TlogError';
    this.line = details.line;
    this.index = details.index;
  }
}
