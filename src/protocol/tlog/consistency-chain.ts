/**
 * What a client or an auditor checks across the checkpoints it has seen of one log: that each is
 * an append-only extension of the one before. A log that shows different histories to different
 * readers (a fork, or a split view) or that rewrites its past cannot pass this check against a
 * reader who kept an earlier checkpoint.
 *
 * For each consecutive pair (older, newer), in this order:
 * - a different origin: WRONG_ORIGIN (the checkpoints are of two logs);
 * - newer.size < older.size: SHRINK (the log lost entries, or the reader is shown an old view);
 * - equal sizes and different roots: FORK (two trees of the same size: two histories);
 * - otherwise the consistency proof from older to newer must verify (RFC 9162 2.1.4.2):
 *   INCONSISTENT if it does not (with the proof failure as the cause).
 * Consistency is transitive, so the chain holds when every pair does. The error's `index` is the
 * position of the newer checkpoint of the failing pair.
 */
import { bytesEqual, toHex } from './bytes.js';
import type { Checkpoint } from './checkpoint.js';
import { TlogError } from './errors.js';
import { verifyConsistency } from './proofs.js';

/**
 * Checks `checkpoints` (already verified with openCheckpoint, oldest first, as the reader saw
 * them; to compare checkpoints gathered from several sources, sort them by size first) with
 * `proofs[i]`, the consistency proof from checkpoints[i] to checkpoints[i + 1]. Returns the last
 * checkpoint. Throws TlogError WRONG_ORIGIN, SHRINK, FORK or INCONSISTENT; BAD_ARGUMENT when the
 * counts do not match.
 */
export function verifyConsistencyChain<C extends Checkpoint>(checkpoints: readonly C[], proofs: readonly (readonly Uint8Array[])[]): C {
  if (checkpoints.length === 0) throw new TlogError('BAD_ARGUMENT', 'no checkpoints to check');
  if (proofs.length !== checkpoints.length - 1) {
    throw new TlogError('BAD_ARGUMENT', `${checkpoints.length} checkpoints need ${checkpoints.length - 1} consistency proofs, found ${proofs.length}`);
  }
  for (let i = 1; i < checkpoints.length; i++) {
    const older = checkpoints[i - 1]!;
    const newer = checkpoints[i]!;
    const pair = `checkpoints ${i - 1} (size ${older.size}) and ${i} (size ${newer.size})`;
    if (newer.origin !== older.origin) {
      throw new TlogError('WRONG_ORIGIN', `${pair} are of different logs: ${JSON.stringify(older.origin)} and ${JSON.stringify(newer.origin)}`, { index: i });
    }
    if (newer.size < older.size) throw new TlogError('SHRINK', `${pair}: the log shrank from ${older.size} to ${newer.size} entries`, { index: i });
    if (newer.size === older.size && !bytesEqual(newer.rootHash, older.rootHash)) {
      throw new TlogError('FORK', `${pair}: two trees of ${newer.size} entries with different roots ${toHex(older.rootHash)} and ${toHex(newer.rootHash)}`, { index: i });
    }
    try {
      verifyConsistency(older.size, newer.size, proofs[i - 1]!, older.rootHash, newer.rootHash);
    } catch (e) {
      throw new TlogError('INCONSISTENT', `${pair}: the consistency proof fails: ${(e as Error).message}`, { index: i }, { cause: e });
    }
  }
  return checkpoints[checkpoints.length - 1]!;
}
