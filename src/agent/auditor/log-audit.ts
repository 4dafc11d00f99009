/**
 * The log side of an audit: the checkpoint, every entry and tile of the tree it signs, and its
 * consistency with every checkpoint this auditor verified before.
 *
 * 1. The checkpoint must verify with the log key the (verified) root names (C2SP tlog-checkpoint);
 *    the clock's cosignature, when present, must verify and gives the checkpoint's time.
 * 2. The entry bundles of the tree of n entries are read and hashed into an in-memory tree
 *    (RFC 9162 2.1.1), whose root must be the checkpoint's: every entry is then known to be in it.
 * 3. Every tile of the tree of n (C2SP tlog-tiles) must hold exactly the hashes that tree gives,
 *    so that proofs computed from the tiles, by this auditor or by clients, are of this tree.
 * 4. The checkpoints seen before, oldest first, then this one, must form one history: each pair
 *    is checked by verifyConsistencyChain with a consistency proof computed from the tiles
 *    (RFC 9162 2.1.4). A smaller tree is LOG_SHRINK, the same size with another root LOG_FORK,
 *    a proof that fails LOG_INCONSISTENT: each is reported with both checkpoints.
 */
import {
  MerkleTree,
  TlogError,
  CHECKPOINT_PATH,
  computeTile,
  consistencyProofFromTiles,
  decodeEntryBundle,
  entryBundlePath,
  logPath,
  findClockTime,
  openCheckpoint,
  tilePath,
  tilesForTreeSize,
  TILE_WIDTH,
  verifyConsistencyChain,
  type NoteVerifier,
  type SignedCheckpoint,
  type TileFetcher,
} from '../../protocol/index.js';
import { AuditorError } from './auditor-error.js';
import type { AuditProblem, AuditProblemCode } from './audit-report.js';
import type { AuditState } from './audit-state.js';
import { AUDIT_LIMITS, type RepoSource } from './repo-source.js';

export interface LogKeys {
  origin: string;
  verifiers: NoteVerifier[];
  /** The clock's cosignature key (x-vigil-log.clock), when the root names one. */
  clock: string | undefined;
}

export interface VerifiedLog {
  checkpoint: SignedCheckpoint;
  time: Date | undefined;
  /** The entries of the tree the checkpoint signs, in order. */
  entries: Uint8Array[];
  tree: MerkleTree;
  checkpointsSeen: number;
  /** The entry bundles and tiles of this tree, as read (for the mirror). */
  files: Map<string, Uint8Array>;
}

/** Reads tiles under `log/` of a repository source. */
export function tileFetcher(source: RepoSource): TileFetcher {
  return async (_tile, path) => source.read(logPath(path), AUDIT_LIMITS.maxTileBytes);
}

export function indent(text: string): string {
  return text
    .trimEnd()
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}

/**
 * Verifies the log (steps 1 to 4 above); undefined, with the problems listed, when it does not
 * verify. `raw` is the source, `source` the same through the state's mirror.
 */
export async function auditLog(raw: RepoSource, source: RepoSource, state: AuditState, keys: LogKeys, problems: AuditProblem[], warnings: string[]): Promise<VerifiedLog | undefined> {
  const bytes = await raw.read(logPath(CHECKPOINT_PATH), AUDIT_LIMITS.maxCheckpointBytes);
  if (bytes === undefined) throw new AuditorError('NOT_A_REPOSITORY', `${raw.label} has no ${logPath(CHECKPOINT_PATH)}: not an update repository`);
  const note = Buffer.from(bytes).toString('utf8');
  let checkpoint: SignedCheckpoint;
  try {
    checkpoint = openCheckpoint(note, { verifiers: keys.verifiers, origin: keys.origin });
  } catch (e) {
    problems.push({ code: 'CHECKPOINT_INVALID', message: `the checkpoint does not verify with the log key the root names (${(e as { code?: string }).code ?? 'error'}): ${(e as Error).message}` });
    return undefined;
  }
  let time: Date | undefined;
  if (keys.clock !== undefined) {
    try {
      time = findClockTime(note, keys.clock);
      if (time === undefined) warnings.push('the checkpoint carries no cosignature of the log clock: its time is unknown');
    } catch (e) {
      problems.push({ code: 'CLOCK_INVALID', message: `the checkpoint's clock cosignature: ${(e as Error).message}` });
    }
  }
  // The tree the checkpoint signs is read from the source itself, never from the mirror: a source
  // that now serves another tree under the same paths must be caught by the checks below.
  const files = new Map<string, Uint8Array>();
  const current: RepoSource = {
    label: raw.label,
    read: async (path, maxBytes) => {
      const data = await raw.read(path, maxBytes);
      if (data !== undefined) files.set(path, data);
      return data;
    },
  };
  const tree = await readTree(current, checkpoint, problems);
  if (tree === undefined) return undefined;
  if (!(await checkTiles(current, checkpoint.size, tree.tree, problems))) return undefined;
  const seen = openSeen(state, keys);
  // Proofs from older checkpoints need the tiles of the newer trees: this tree's, just verified,
  // and older partial tiles, kept in the mirror from earlier runs (or read from the source).
  const history: RepoSource = { label: raw.label, read: async (path, maxBytes) => files.get(path) ?? source.read(path, maxBytes) };
  if (!(await checkHistory([...seen, checkpoint], tileFetcher(history), problems))) return undefined;
  return { checkpoint, time, entries: tree.entries, tree: tree.tree, checkpointsSeen: seen.length, files };
}

/** Step 2: the entries, from their bundles, must hash to the checkpoint's root. */
async function readTree(source: RepoSource, checkpoint: SignedCheckpoint, problems: AuditProblem[]): Promise<{ entries: Uint8Array[]; tree: MerkleTree } | undefined> {
  const entries: Uint8Array[] = [];
  for (let index = 0; index * TILE_WIDTH < checkpoint.size; index++) {
    const width = Math.min(TILE_WIDTH, checkpoint.size - index * TILE_WIDTH);
    const path = entryBundlePath(index, width);
    const data = await source.read(logPath(path), AUDIT_LIMITS.maxTileBytes);
    if (data === undefined) {
      problems.push({ code: 'TILE_INVALID', message: `entry bundle ${path} of the tree of ${checkpoint.size} entries is missing` });
      return undefined;
    }
    try {
      entries.push(...decodeEntryBundle(data, width));
    } catch (e) {
      problems.push({ code: 'TILE_INVALID', message: `entry bundle ${path}: ${(e as Error).message}` });
      return undefined;
    }
  }
  const tree = MerkleTree.fromEntries(entries);
  if (!Buffer.from(tree.root()).equals(Buffer.from(checkpoint.rootHash))) {
    problems.push({ code: 'TILE_INVALID', message: `the ${checkpoint.size} entries of the entry bundles do not hash to the checkpoint's root: the bundles were altered, or the checkpoint signs another tree` });
    return undefined;
  }
  return { entries, tree };
}

/** Step 3: every tile of the tree holds the hashes the tree gives. */
async function checkTiles(source: RepoSource, size: number, tree: MerkleTree, problems: AuditProblem[]): Promise<boolean> {
  let ok = true;
  for (const tile of tilesForTreeSize(size)) {
    const path = tilePath(tile);
    const data = await source.read(logPath(path), AUDIT_LIMITS.maxTileBytes);
    if (data === undefined) {
      problems.push({ code: 'TILE_INVALID', message: `tile ${path} of the tree of ${size} entries is missing` });
      ok = false;
    } else if (!Buffer.from(data).equals(Buffer.from(computeTile(tile, tree.nodeHash)))) {
      problems.push({ code: 'TILE_INVALID', message: `tile ${path} does not hold the hashes of the tree the checkpoint signs: it was altered` });
      ok = false;
    }
  }
  return ok;
}

/** The checkpoints this auditor verified before, opened again with the log's keys. */
function openSeen(state: AuditState, keys: LogKeys): SignedCheckpoint[] {
  return state.seenCheckpoints().map((note) => {
    try {
      return openCheckpoint(note, { verifiers: keys.verifiers, origin: keys.origin });
    } catch (e) {
      throw new AuditorError('BAD_STATE', `a checkpoint kept in ${state.dir} does not verify with this log's keys (another log's state?): ${(e as Error).message}`, { cause: e });
    }
  });
}

/** The TlogError codes that mean a bad history; any other error is rethrown. */
const HISTORY_CODES: Partial<Record<string, AuditProblemCode>> = { SHRINK: 'LOG_SHRINK', FORK: 'LOG_FORK', INCONSISTENT: 'LOG_INCONSISTENT', WRONG_ORIGIN: 'LOG_INCONSISTENT' };

/** Step 4: one history from the first checkpoint seen to this one. */
async function checkHistory(chain: SignedCheckpoint[], fetchTile: TileFetcher, problems: AuditProblem[]): Promise<boolean> {
  const proofs: Uint8Array[][] = [];
  const notes: string[] = [];
  for (let i = 1; i < chain.length; i++) {
    const [older, newer] = [chain[i - 1]!, chain[i]!];
    proofs.push(older.size < newer.size ? await proofOrNothing(older.size, newer.size, fetchTile, notes) : []);
  }
  try {
    verifyConsistencyChain(chain, proofs);
    return true;
  } catch (e) {
    const err = e as TlogError;
    const code = HISTORY_CODES[err.code];
    if (code === undefined || err.index === undefined) throw e;
    const [older, newer] = [chain[err.index - 1]!, chain[err.index]!];
    const why = notes.length > 0 ? ` (${notes.join('; ')})` : '';
    problems.push({ code, message: `${err.message}${why}\n  checkpoint seen before:\n${indent(older.note)}\n  checkpoint served now:\n${indent(newer.note)}` });
    return false;
  }
}

/** The consistency proof from tiles, or an empty (failing) proof and a note saying why there is none. */
export async function proofOrNothing(size1: number, size2: number, fetchTile: TileFetcher, notes: string[]): Promise<Uint8Array[]> {
  try {
    return await consistencyProofFromTiles(size1, size2, fetchTile);
  } catch (e) {
    notes.push(`no consistency proof from ${size1} to ${size2}: ${(e as Error).message}`);
    return [];
  }
}
