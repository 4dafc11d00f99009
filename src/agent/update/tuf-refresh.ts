/**
 * The TUF half of an update: tuf-js's Updater runs the client workflow of TUF 1.0 section 5 (root
 * walk 5.3, timestamp 5.4, snapshot 5.5, targets 5.6) from the root this agent trusts, on a working
 * copy of the metadata it keeps. tuf-js writes metadata files in place, so a kill in the middle
 * would leave a truncated root.json; the copy is committed file by file (each written aside and
 * renamed) only once the whole update has verified, root first and timestamp last.
 *
 * tuf-js checks expiry against the system clock; the update checks every role again against its
 * own clock (`now`), which tests move forward to play a freeze attack (TUF 5.4.4, 5.5.6, 5.6.5).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Metadata, MetadataKind, type Root, type Snapshot, type TargetFile, type Targets, type Timestamp } from '@tufjs/models';
import { Updater } from 'tuf-js';
import { BadVersionError, DownloadHTTPError, DownloadLengthMismatchError, ExpiredMetadataError } from 'tuf-js/dist/error.js';
import { parseReleaseTarget, type ReleaseTarget } from '../../protocol/index.js';
import { AGENT_DIR_MODE, ensureAgentDir } from '../agent-dir.js';
import { writeFileAtomic } from '../atomic-file.js';
import { readLogTrust, type LogTrust } from './log-check.js';
import type { RepoFetcher } from './repo-fetcher.js';
import type { RepoLocation } from './repo-location.js';
import { UpdateClientError } from './update-error.js';
import type { UpdatePaths } from './update-paths.js';

/** The JSON document Metadata.fromJSON takes; it checks the shape itself and throws on a wrong one. */
type MetadataJson = Parameters<typeof Metadata.fromJSON>[1];

/** The largest trusted root file read (bytes). */
export const TRUSTED_ROOT_MAX_BYTES = 512 * 1024;
/** Mode of the kept metadata files. */
const METADATA_FILE_MODE = 0o600;
/** The files tuf-js keeps, in the order they are committed. */
const METADATA_FILES = ['root.json', 'targets.json', 'snapshot.json', 'timestamp.json'] as const;

export interface ReleaseTargets {
  /** Release number -> its image target. */
  images: Map<number, TargetFile>;
  /** `<from>-<to>` -> the delta target. */
  deltas: Map<string, TargetFile>;
}

export interface TrustedMetadata extends ReleaseTargets {
  root: Metadata<Root>;
  timestampVersion: number;
  targetsVersion: number;
  log: LogTrust;
  updater: Updater;
  /** Keeps the verified metadata as the agent's trusted state. */
  commit(): void;
  /** Drops the working copy. */
  discard(): void;
}

export interface RefreshOptions {
  paths: UpdatePaths;
  source: RepoLocation;
  fetcher: RepoFetcher;
  /** The initial trusted root, used only when the agent keeps none. */
  trustedRootFile?: string;
  now: () => Date;
}

/** Reads and self-verifies a root file given by the user (TUF 5.2: the trusted root is the starting point). */
function readTrustedRoot(file: string): Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new UpdateClientError('BAD_ARGUMENT', `cannot read the trusted root ${file}: ${(e as Error).message}`, { cause: e });
  }
  if (bytes.length > TRUSTED_ROOT_MAX_BYTES) throw new UpdateClientError('BAD_ARGUMENT', `${file} is ${bytes.length} bytes: not a root (at most ${TRUSTED_ROOT_MAX_BYTES})`);
  try {
    const root = Metadata.fromJSON(MetadataKind.Root, JSON.parse(bytes.toString('utf8')) as MetadataJson);
    root.verifyDelegate('root', root);
    readLogTrust(root.signed);
  } catch (e) {
    if (e instanceof UpdateClientError) throw e;
    throw new UpdateClientError('BAD_ARGUMENT', `${file} is not a root signed by its own keys: ${(e as Error).message}`, { cause: e });
  }
  return bytes;
}

function readMetadata<T extends Root | Timestamp | Snapshot | Targets>(dir: string, kind: MetadataKind): Metadata<T> {
  return Metadata.fromJSON(kind as MetadataKind.Root, JSON.parse(readFileSync(join(dir, `${kind}.json`), 'utf8')) as MetadataJson) as unknown as Metadata<T>;
}

/** What a tuf-js failure means for the user. */
function classify(e: unknown, fetcher: RepoFetcher): UpdateClientError {
  if (fetcher.refusal) return fetcher.refusal;
  if (e instanceof UpdateClientError) return e;
  const message = (e as Partial<Error> | null | undefined)?.message ?? String(e);
  if (e instanceof ExpiredMetadataError || message.includes('is expired')) return new UpdateClientError('EXPIRED', `the repository's metadata has expired (${message}): it is not being kept up to date, or someone is replaying an old copy`, { cause: e });
  if (e instanceof BadVersionError && message.includes('less than current')) return new UpdateClientError('ROLLBACK', `the repository offers older metadata than this agent already trusts (${message})`, { cause: e });
  if (fetcher.lastFailure && !(e instanceof DownloadLengthMismatchError) && !/length|hash|signature|threshold/i.test(message)) return fetcher.lastFailure;
  if (e instanceof DownloadHTTPError) return new UpdateClientError('FETCH_FAILED', `the repository is missing a file: ${message}`, { cause: e });
  return new UpdateClientError('METADATA_REFUSED', `the repository's metadata does not verify: ${message}`, { cause: e });
}

export async function refreshMetadata(options: RefreshOptions): Promise<TrustedMetadata> {
  const { paths, source, fetcher, now } = options;
  ensureAgentDir(paths.stateDir);
  mkdirSync(paths.metadataDir, { recursive: true, mode: AGENT_DIR_MODE });
  for (const e of readdirSync(paths.stateDir)) if (e.startsWith('metadata.work-')) rmSync(join(paths.stateDir, e), { recursive: true, force: true });
  const work = join(paths.stateDir, `metadata.work-${process.pid}`);
  mkdirSync(work, { mode: AGENT_DIR_MODE });
  const discard = () => rmSync(work, { recursive: true, force: true });
  try {
    if (existsSync(join(paths.metadataDir, 'root.json'))) {
      for (const f of METADATA_FILES) if (existsSync(join(paths.metadataDir, f))) writeFileAtomic(join(work, f), readFileSync(join(paths.metadataDir, f)), METADATA_FILE_MODE);
    } else if (options.trustedRootFile !== undefined) {
      writeFileAtomic(join(work, 'root.json'), readTrustedRoot(options.trustedRootFile), METADATA_FILE_MODE);
    } else {
      throw new UpdateClientError('NO_TRUSTED_ROOT', 'this agent trusts no update repository yet: give the repository\'s initial root with --trusted-root FILE (root.json of `vigil cloud repo export`, from your vendor)');
    }
    const updater = new Updater({ metadataDir: work, metadataBaseUrl: source.metadataBaseUrl, targetBaseUrl: source.targetBaseUrl, fetcher, config: { userAgent: 'vigil-update' } });
    try {
      await updater.refresh();
    } catch (e) {
      throw classify(e, fetcher);
    }
    const root = readMetadata<Root>(work, MetadataKind.Root);
    const timestamp = readMetadata<Timestamp>(work, MetadataKind.Timestamp);
    const snapshot = readMetadata<Snapshot>(work, MetadataKind.Snapshot);
    const targets = readMetadata<Targets>(work, MetadataKind.Targets);
    const at = now();
    for (const [role, m] of [['root', root], ['timestamp', timestamp], ['snapshot', snapshot], ['targets', targets]] as const) {
      if (m.signed.isExpired(at)) {
        throw new UpdateClientError('EXPIRED', `${role}.json (version ${m.signed.version}) expired at ${m.signed.expires}: the repository is not being kept up to date, or someone is replaying an old copy (a freeze attack)`);
      }
    }
    const found: ReleaseTargets = { images: new Map(), deltas: new Map() };
    for (const [name, target] of Object.entries(targets.signed.targets)) {
      let file: ReleaseTarget;
      try {
        file = parseReleaseTarget(name, target.custom);
      } catch {
        continue; // not a release file (protocol/release-target.ts): nothing to install
      }
      if (file.kind === 'image') found.images.set(file.release, target);
      else found.deltas.set(`${file.from}-${file.release}`, target);
    }
    return {
      ...found,
      root,
      timestampVersion: timestamp.signed.version,
      targetsVersion: targets.signed.version,
      log: readLogTrust(root.signed),
      updater,
      commit() {
        for (const f of METADATA_FILES) {
          const file = join(work, f);
          if (existsSync(file)) writeFileAtomic(join(paths.metadataDir, f), readFileSync(file), METADATA_FILE_MODE);
        }
        discard();
      },
      discard,
    };
  } catch (e) {
    discard();
    throw e;
  }
}
