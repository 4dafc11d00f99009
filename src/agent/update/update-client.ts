/**
 * `vigil update` as a library: TUF refresh (tuf-refresh.ts), the transparency-log checks
 * (log-check.ts), a delta when one applies to the installed release or else the full image, the
 * digest of the result against its TUF target, an atomic install with a rollback copy
 * (installed-database.ts), and a signal to a daemon serving the folder. Any refusal leaves the
 * installed database as it was.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TargetFile } from '@tufjs/models';
import { Database } from '../../engine/index.js';
import { applyImageDelta, formatActivationAuthorization, importPublicKeyPem, NOTE_MAX_BYTES, readImageDeltaHeader } from '../../protocol/index.js';
import { ensureAgentDir } from '../agent-dir.js';
import { writeFileAtomic } from '../atomic-file.js';
import { readActivation, type ActivationRecord } from '../license/index.js';
import { asideName, installedRelease, installImage, readInstallState, removeAsideFiles, rollbackImage, type KnownRelease } from './installed-database.js';
import { checkLog } from './log-check.js';
import type { NoticeTrust, PolicyNotice } from './policy-notice.js';
import { RepoFetcher, type DownloadProgress } from './repo-fetcher.js';
import { mirrorLocation, serverLocation, type RepoLocation } from './repo-location.js';
import { isSameServer } from './server-origin.js';
import { refreshMetadata, type TrustedMetadata } from './tuf-refresh.js';
import { isServerRefusal, UpdateClientError } from './update-error.js';
import { acquireUpdateLock } from './update-lock.js';
import { defaultDatabaseDir, INSTALLED_IMAGE, updatePaths } from './update-paths.js';

export interface UpdateOptions {
  agentDir: string;
  /** Default: `<agentDir>/database`. */
  databaseDir?: string;
  /** The cloud's base URL. Default: the server of the license activation. */
  server?: string;
  /** An exported repository: a folder, or an http(s) URL serving one. */
  mirror?: string;
  /** The initial trusted root (only read when the agent trusts none yet). */
  trustedRootFile?: string;
  /** A daemon's pid file: SIGUSR2 is sent to it after a change. */
  notifyPidFile?: string;
  onProgress?: (progress: DownloadProgress) => void;
  /** The clock metadata expiry is checked against (tests move it). */
  now?: () => Date;
}

export interface Notified {
  pid?: number;
  error?: string;
}

export interface UpdateOutcome {
  status: 'updated' | 'current';
  release: number;
  previous: number | undefined;
  /** How the image came: a delta from the installed release, or the full image. */
  via: 'delta' | 'image' | undefined;
  /** Why a delta that was offered was not used. */
  deltaFailed: string | undefined;
  databaseDir: string;
  source: { kind: RepoLocation['kind']; location: string };
  rootVersion: number;
  timestampVersion: number;
  targetsVersion: number;
  checkpoint: { origin: string; size: number; time: string };
  leafIndex: number;
  downloadedBytes: number;
  notified: Notified | undefined;
  /** Whether this machine's activation credential was sent (to the server it was activated with). */
  sentActivation: boolean;
  /** Notices the vendor's policy attached to what was delivered (a `notice` decision): shown, nothing stopped. */
  notices: PolicyNotice[];
}

export interface RollbackOutcome {
  release: number;
  replaced: number | undefined;
  databaseDir: string;
  notified: Notified | undefined;
}

function loadActivation(agentDir: string): ActivationRecord | undefined {
  try {
    return readActivation(agentDir);
  } catch (e) {
    throw new UpdateClientError('STATE_CORRUPT', `cannot read the license activation: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * Where from, and with which credential. The activation's credential goes only to the server the
 * machine was activated with, however --server spells its URL (server-origin.ts; its policy gate
 * decides on it, docs/update-client.md); a mirror, or another --server, gets no secret.
 */
function resolveSource(options: UpdateOptions): { source: RepoLocation; activation: ActivationRecord | undefined } {
  if (options.server !== undefined && options.mirror !== undefined) throw new UpdateClientError('BAD_ARGUMENT', 'give --server or --mirror, not both');
  if (options.mirror !== undefined) return { source: mirrorLocation(options.mirror), activation: undefined };
  const activation = loadActivation(options.agentDir);
  const server = options.server ?? activation?.server;
  if (server === undefined) throw new UpdateClientError('NO_SOURCE', 'where from? give --server URL or --mirror REPO (this agent has no license activation to take the server from)');
  const source = serverLocation(server);
  return { source, activation: activation && isSameServer(activation.server, server) ? activation : undefined };
}

function noticeTrust(activation: ActivationRecord): NoticeTrust | undefined {
  try {
    return { key: importPublicKeyPem(activation.vendor_key_pem), keyId: activation.vendor_key_id, activationId: activation.activation_id };
  } catch {
    return undefined; // readActivation checked the key; a notice is then reported as unverifiable
  }
}

/** Engine check: a verified image must also load, or it is not installed. */
function checkLoads(image: Uint8Array, release: number): void {
  try {
    new Database(image, `release ${release}`);
  } catch (e) {
    throw new UpdateClientError('IMAGE_INVALID', `release ${release} verifies but does not load: ${(e as Error).message}`, { cause: e });
  }
}

function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function targetRelease(release: number, target: TargetFile): KnownRelease {
  const sha256 = target.hashes['sha256'];
  if (sha256 === undefined || !/^[0-9a-f]{64}$/.test(sha256)) throw new UpdateClientError('METADATA_REFUSED', `target ${target.path} has no SHA-256`);
  return { release, sha256, length: target.length };
}

/** Downloads a target through tuf-js (TUF 5.7.3: length and hashes checked) into memory. */
async function downloadTarget(trusted: TrustedMetadata, target: TargetFile, dbDir: string, fetcher: RepoFetcher): Promise<Uint8Array> {
  const file = asideName(dbDir, target.path);
  try {
    await trusted.updater.downloadTarget(target, file);
    return readFileSync(file);
  } catch (e) {
    if (fetcher.refusal) throw fetcher.refusal;
    if (e instanceof UpdateClientError) throw e;
    throw new UpdateClientError('TARGET_REFUSED', `target ${target.path} does not match its TUF metadata: ${(e as Error).message}`, { cause: e });
  } finally {
    rmSync(file, { force: true });
  }
}

/** Sends SIGUSR2 to the pid in `pidFile`: a failure is reported, not thrown (the database is installed). */
export function notifyDaemon(pidFile: string): Notified {
  try {
    const text = readFileSync(pidFile, 'utf8').trim();
    if (!/^[1-9][0-9]{0,9}$/.test(text)) return { error: `${pidFile} does not hold a process id` };
    const pid = Number(text);
    process.kill(pid, 'SIGUSR2');
    return { pid };
  } catch (e) {
    return { error: `cannot signal the daemon of ${pidFile}: ${(e as Error).message}` };
  }
}

export async function runUpdate(options: UpdateOptions): Promise<UpdateOutcome> {
  const { source, activation } = resolveSource(options);
  const paths = updatePaths(options.agentDir);
  const dbDir = options.databaseDir ?? defaultDatabaseDir(options.agentDir);
  const now = options.now ?? (() => new Date());
  const trust = activation ? noticeTrust(activation) : undefined;
  const fetcher = new RepoFetcher({
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(activation ? { authorization: formatActivationAuthorization({ activationId: activation.activation_id, secret: activation.secret }) } : {}),
    ...(trust ? { noticeTrust: trust } : {}),
  });
  const trustedRootFile = options.trustedRootFile;
  ensureAgentDir(paths.stateDir);
  const unlock = acquireUpdateLock(paths.lock);
  try {
    mkdirSync(dbDir, { recursive: true });
    removeAsideFiles(dbDir);
    const trusted = await refreshMetadata({ paths, source, fetcher, now, ...(trustedRootFile === undefined ? {} : { trustedRootFile }) });
    try {
      return await finish(trusted);
    } finally {
      trusted.discard();
    }
  } finally {
    unlock();
  }

  async function finish(trusted: TrustedMetadata): Promise<UpdateOutcome> {
    const newest = Math.max(0, ...trusted.images.keys());
    if (newest === 0) throw new UpdateClientError('NO_RELEASE', `the repository at ${source.location} lists no release`);
    const target = targetRelease(newest, trusted.images.get(newest)!);
    const state = readInstallState(dbDir);
    const installed = installedRelease(dbDir, state);
    const highest = Math.max(state.highestRelease, installed?.release ?? 0);
    // TUF 5.6 protects metadata versions; releases are ours: never go back to an older one.
    if (newest < highest) throw new UpdateClientError('ROLLBACK', `the repository's newest release is ${newest}, older than release ${highest} already installed here: refusing to go back`);
    const kept = existsSync(paths.checkpoint) ? readKeptCheckpoint(paths.checkpoint) : undefined;
    const log = await checkLog({ fetcher, logBaseUrl: source.logBaseUrl, trust: trusted.log, kept, release: target });
    const base = {
      release: newest,
      databaseDir: dbDir,
      source: { kind: source.kind, location: source.location },
      rootVersion: trusted.root.signed.version,
      timestampVersion: trusted.timestampVersion,
      targetsVersion: trusted.targetsVersion,
      checkpoint: { origin: log.checkpoint.origin, size: log.checkpoint.size, time: log.checkpoint.time.toISOString() },
      leafIndex: log.leafIndex,
      sentActivation: activation !== undefined,
      notices: fetcher.notices,
    };
    const keepVerified = () => {
      trusted.commit();
      writeFileAtomic(paths.checkpoint, log.checkpoint.note, 0o600);
    };
    if (installed?.sha256 === target.sha256) {
      keepVerified();
      return { ...base, status: 'current', previous: undefined, via: undefined, deltaFailed: undefined, downloadedBytes: 0, notified: undefined };
    }
    let image: Uint8Array | undefined;
    let via: UpdateOutcome['via'] = 'image';
    let deltaFailed: string | undefined;
    let downloadedBytes = 0;
    const delta = installed ? trusted.deltas.get(`${installed.release}-${newest}`) : undefined;
    if (installed && delta) {
      try {
        const bytes = await downloadTarget(trusted, delta, dbDir, fetcher);
        downloadedBytes += bytes.length;
        // The delta must name the release image (VGDELTA2 header) before any work is done on it.
        const header = readImageDeltaHeader(bytes);
        if (header.targetLength !== target.length || header.targetSha256 !== target.sha256) throw new Error(`the delta builds the image ${header.targetSha256}, not the release image ${target.sha256}`);
        // applyImageDelta checks what it built against the header's length and SHA-256, which are the
        // release image's (checked just above): the image is not hashed a second time here.
        image = applyImageDelta(readFileSync(join(dbDir, INSTALLED_IMAGE)), bytes, { maxTargetBytes: target.length });
        via = 'delta';
      } catch (e) {
        if (e instanceof UpdateClientError && isServerRefusal(e)) throw e;
        deltaFailed = (e as Error).message;
      }
    }
    if (image === undefined) {
      image = await downloadTarget(trusted, trusted.images.get(newest)!, dbDir, fetcher);
      downloadedBytes += image.length;
      if (image.length !== target.length || sha256Hex(image) !== target.sha256) throw new UpdateClientError('TARGET_REFUSED', `the image of release ${newest} does not match its TUF target`);
    }
    checkLoads(image, newest);
    keepVerified();
    const { previous } = installImage(dbDir, image, target);
    const notified = options.notifyPidFile === undefined ? undefined : notifyDaemon(options.notifyPidFile);
    return { ...base, status: 'updated', previous: previous?.release, via, deltaFailed, downloadedBytes, notified };
  }
}

function readKeptCheckpoint(file: string): string {
  const bytes = readFileSync(file);
  if (bytes.length > NOTE_MAX_BYTES) throw new UpdateClientError('STATE_CORRUPT', `${file} is ${bytes.length} bytes: damaged`);
  return bytes.toString('utf8');
}

/** `vigil update --rollback`: the previous verified database back in place. */
export function rollbackUpdate(options: Pick<UpdateOptions, 'agentDir' | 'databaseDir' | 'notifyPidFile'>): RollbackOutcome {
  const paths = updatePaths(options.agentDir);
  const dbDir = options.databaseDir ?? defaultDatabaseDir(options.agentDir);
  if (!existsSync(paths.stateDir)) throw new UpdateClientError('NO_ROLLBACK', `this agent has never installed an update (${paths.stateDir} does not exist)`);
  const unlock = acquireUpdateLock(paths.lock);
  try {
    removeAsideFiles(dbDir);
    const { restored, replaced } = rollbackImage(dbDir, (image, r) => checkLoads(image, r.release));
    const notified = options.notifyPidFile === undefined ? undefined : notifyDaemon(options.notifyPidFile);
    return { release: restored.release, replaced: replaced?.release, databaseDir: dbDir, notified };
  } finally {
    unlock();
  }
}
