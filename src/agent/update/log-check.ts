/**
 * The transparency-log half of an update (docs/transparency-log.md, docs/updates.md):
 *
 * 1. the checkpoint must verify with the log key and carry the clock's cosignature, both named by
 *    the trusted root's `x-vigil-log` (so they are trusted exactly as far as the root is);
 * 2. it must extend the checkpoint this agent kept from its last update: same origin, not smaller,
 *    not a different root at the same size, and an RFC 9162 consistency proof computed from the
 *    log's tiles must verify; its clock must not go backwards. A log that forks, shrinks or rewrites
 *    its history is refused (LOG_INCONSISTENT);
 * 3. the release to install must be a leaf of the tree it signs: the leaf is found in the entry
 *    bundles (newest first), must be exactly the publisher's canonical JSON
 *    {"image":{"length","sha256"},"kind":"release","release","targets_version"} with the image of the
 *    TUF target, and its RFC 9162 inclusion proof, computed from tiles, must lead to the
 *    checkpoint's root (NOT_IN_LOG otherwise).
 * Nothing fetched is trusted before it is checked against the signed checkpoint.
 */
import {
  checkpointTime,
  consistencyProofFromTiles,
  decodeEntryBundle,
  entryBundlePath,
  formatLogEntry,
  hashLeaf,
  inclusionProofFromTiles,
  NOTE_MAX_BYTES,
  openCheckpoint,
  parseRootLogInfo,
  parseVerifierKey,
  TILE_WIDTH,
  TlogError,
  verifyConsistencyChain,
  verifyInclusion,
  ROOT_LOG_FIELD,
  type ReleaseLogEntry,
  type RootLogInfo,
  type SignedCheckpoint,
  type TileFetcher,
} from '../../protocol/index.js';
import type { RepoFetcher } from './repo-fetcher.js';
import { UpdateClientError } from './update-error.js';

/** The most entry bundles read, newest first, to find a release's leaf (256 entries each). */
export const LOG_MAX_BUNDLES_SCANNED = 64;
/** The largest entry bundle read (bytes): 256 entries of a few hundred bytes each, with room. */
export const LOG_BUNDLE_MAX_BYTES = 1024 * 1024;

/** The log a trusted root vouches for (protocol/root-log.ts). */
export type LogTrust = RootLogInfo;

export interface VerifiedCheckpoint extends SignedCheckpoint {
  /** When the log's clock signed it. */
  time: Date;
}

export interface ReleaseLeaf {
  release: number;
  sha256: string;
  length: number;
}

/** The log a root vouches for; METADATA_REFUSED when the root names none. */
export function readLogTrust(rootSigned: { unrecognizedFields: Record<string, unknown>; version: number }): LogTrust {
  try {
    return parseRootLogInfo(rootSigned.unrecognizedFields);
  } catch (e) {
    throw new UpdateClientError('METADATA_REFUSED', `root version ${rootSigned.version} names no transparency log (${ROOT_LOG_FIELD}): ${(e as Error).message}`, { cause: e });
  }
}

/** Verifies a checkpoint note with the log key and the clock key. Throws LOG_REFUSED. */
export function openLogCheckpoint(note: string | Uint8Array, trust: LogTrust, what = 'the checkpoint'): VerifiedCheckpoint {
  try {
    const checkpoint = openCheckpoint(note, { verifiers: [parseVerifierKey(trust.key)], origin: trust.origin });
    return { ...checkpoint, time: checkpointTime(note, trust.clock) };
  } catch (e) {
    throw new UpdateClientError('LOG_REFUSED', `${what} of log ${trust.origin} does not verify with the keys the trusted root names: ${(e as Error).message}`, { cause: e });
  }
}

export interface LogCheckOptions {
  fetcher: RepoFetcher;
  logBaseUrl: string;
  trust: LogTrust;
  /** The checkpoint note kept from the last update, if any. */
  kept: string | undefined;
  release: ReleaseLeaf;
}

export interface LogCheckResult {
  checkpoint: VerifiedCheckpoint;
  leafIndex: number;
}

export async function checkLog(options: LogCheckOptions): Promise<LogCheckResult> {
  const { fetcher, logBaseUrl, trust } = options;
  const note = await fetcher.readBytes(`${logBaseUrl}/checkpoint`, NOTE_MAX_BYTES);
  if (note === undefined) throw new UpdateClientError('FETCH_FAILED', `the repository has no log checkpoint (${logBaseUrl}/checkpoint)`);
  const checkpoint = openLogCheckpoint(note, trust);
  const fetchTile: TileFetcher = (tile, path) => fetcher.readBytes(`${logBaseUrl}/${path}`, tile.width * 32);
  if (options.kept !== undefined) await checkExtends(openLogCheckpoint(options.kept, trust, 'the checkpoint kept from the last update'), checkpoint, fetchTile);
  const leafIndex = await findReleaseLeaf(options, checkpoint);
  try {
    const proof = await inclusionProofFromTiles(leafIndex, checkpoint.size, fetchTile);
    verifyInclusion(leafIndex, checkpoint.size, hashLeaf(await leafBytes(options, checkpoint, leafIndex)), proof, checkpoint.rootHash);
  } catch (e) {
    if (e instanceof UpdateClientError) throw e;
    throw new UpdateClientError('NOT_IN_LOG', `release ${options.release.release} is not proved to be in the log of ${checkpoint.size} entries: ${(e as Error).message}`, { cause: e });
  }
  return { checkpoint, leafIndex };
}

/** RFC 9162 2.1.4 between the kept checkpoint and the new one, and the clock not going back. */
async function checkExtends(kept: VerifiedCheckpoint, fresh: VerifiedCheckpoint, fetchTile: TileFetcher): Promise<void> {
  let proof: Uint8Array[] = [];
  try {
    if (kept.size < fresh.size) proof = await consistencyProofFromTiles(kept.size, fresh.size, fetchTile);
    verifyConsistencyChain([kept, fresh], [proof]);
  } catch (e) {
    const code = e instanceof TlogError ? e.code : undefined;
    const how = code === 'FORK' ? 'forked' : code === 'SHRINK' ? 'shrank' : 'does not extend the history kept';
    throw new UpdateClientError('LOG_INCONSISTENT', `the log ${how}: the checkpoint kept (size ${kept.size}) and the one served (size ${fresh.size}) cannot both be true: ${(e as Error).message}`, { cause: e });
  }
  if (fresh.time < kept.time) {
    throw new UpdateClientError('LOG_INCONSISTENT', `the checkpoint served was signed at ${fresh.time.toISOString()}, before the one kept (${kept.time.toISOString()}): an old view of the log`);
  }
}

/** The leaf the publisher writes for `release` (protocol/log-entry.ts). */
function releaseEntry(release: ReleaseLeaf, targetsVersion: number): ReleaseLogEntry {
  return { kind: 'release', release: release.release, image: { sha256: release.sha256, length: release.length }, targets_version: targetsVersion };
}

const bundles = new WeakMap<LogCheckOptions, Map<number, Uint8Array[]>>();

async function readBundle(options: LogCheckOptions, size: number, index: number): Promise<Uint8Array[]> {
  let cache = bundles.get(options);
  if (!cache) bundles.set(options, (cache = new Map<number, Uint8Array[]>()));
  const known = cache.get(index);
  if (known) return known;
  const width = Math.min(TILE_WIDTH, size - index * TILE_WIDTH);
  const path = entryBundlePath(index, width);
  const data = await options.fetcher.readBytes(`${options.logBaseUrl}/${path}`, LOG_BUNDLE_MAX_BYTES);
  if (data === undefined) throw new UpdateClientError('FETCH_FAILED', `the log's entry bundle ${path} is missing`);
  try {
    const entries = decodeEntryBundle(data, width);
    cache.set(index, entries);
    return entries;
  } catch (e) {
    throw new UpdateClientError('NOT_IN_LOG', `the log's entry bundle ${path} is malformed: ${(e as Error).message}`, { cause: e });
  }
}

async function leafBytes(options: LogCheckOptions, checkpoint: SignedCheckpoint, index: number): Promise<Uint8Array> {
  const entries = await readBundle(options, checkpoint.size, Math.floor(index / TILE_WIDTH));
  return entries[index % TILE_WIDTH]!;
}

/** The index of the release's leaf, newest bundle first; NOT_IN_LOG when it is not there. */
async function findReleaseLeaf(options: LogCheckOptions, checkpoint: SignedCheckpoint): Promise<number> {
  const { release } = options;
  const last = Math.ceil(checkpoint.size / TILE_WIDTH) - 1;
  for (let b = last; b >= 0 && last - b < LOG_MAX_BUNDLES_SCANNED; b--) {
    const entries = await readBundle(options, checkpoint.size, b);
    for (let i = entries.length - 1; i >= 0; i--) {
      const text = Buffer.from(entries[i]!).toString('utf8');
      let parsed: { kind?: unknown; release?: unknown; targets_version?: unknown } | null; // the text may be `null`
      try {
        parsed = JSON.parse(text) as typeof parsed;
      } catch {
        continue; // not one of ours: the inclusion proof below is what counts
      }
      if (parsed?.kind !== 'release' || parsed.release !== release.release) continue;
      const version = parsed.targets_version;
      if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1 || text !== formatLogEntry(releaseEntry(release, version))) {
        throw new UpdateClientError('NOT_IN_LOG', `the log records release ${release.release} with another image than the repository offers (leaf ${b * TILE_WIDTH + i}): ${text.slice(0, 300)}`);
      }
      return b * TILE_WIDTH + i;
    }
  }
  throw new UpdateClientError('NOT_IN_LOG', `release ${release.release} (image ${release.sha256}) is not in the log of ${checkpoint.size} entries`);
}
