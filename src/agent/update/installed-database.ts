/**
 * The database `vigil update` installs, and its rollback copy, so that a kill at any moment leaves
 * a working, verified database (each step is a rename, atomic within a file system, and each file
 * is fsynced before it is renamed into place, its folder after):
 *
 * 1. the state file learns the new release (the releases the files may be, by SHA-256);
 * 2. the installed image is hard-linked aside and renamed over `vigil.vigildb.previous`;
 * 3. the new image is written aside, fsynced and renamed over `vigil.vigildb`;
 * 4. the state file is rewritten with what is installed and what the rollback copy is.
 * Which release a file holds is always decided by hashing it against the state's list, so a kill
 * between two steps never makes the state lie. `--rollback` swaps the two images the same way.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ASIDE_SUFFIX, syncFolder, writeFileAtomic } from '../atomic-file.js';
import { UpdateClientError } from './update-error.js';
import { INSTALL_STATE_FILE, INSTALLED_IMAGE, PREVIOUS_IMAGE } from './update-paths.js';

/** The largest state file read (bytes). */
export const INSTALL_STATE_MAX_BYTES = 64 * 1024;
/** Images are read by the daemon, which may run as another user: readable by all, written by the owner. */
export const IMAGE_FILE_MODE = 0o644;
const STATE_FILE_MODE = 0o644;

export interface KnownRelease {
  release: number;
  sha256: string;
  length: number;
}

export interface InstallState {
  /** The verified releases the installed image and its rollback copy may be. */
  releases: KnownRelease[];
  /** The newest release ever installed here: the repository may never offer less (rollback attack). */
  highestRelease: number;
}

function isKnownRelease(v: unknown): v is KnownRelease {
  const r = v as Partial<KnownRelease> | null;
  return typeof r === 'object' && r !== null && Number.isSafeInteger(r.release) && r.release! >= 1 && typeof r.sha256 === 'string' && /^[0-9a-f]{64}$/.test(r.sha256) && Number.isSafeInteger(r.length) && r.length! >= 0;
}

export function readInstallState(dbDir: string): InstallState {
  const file = join(dbDir, INSTALL_STATE_FILE);
  let text: string;
  try {
    const bytes = readFileSync(file);
    if (bytes.length > INSTALL_STATE_MAX_BYTES) throw new UpdateClientError('STATE_CORRUPT', `${file} is ${bytes.length} bytes: damaged`);
    text = bytes.toString('utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { releases: [], highestRelease: 0 };
    if (e instanceof UpdateClientError) throw e;
    throw new UpdateClientError('STATE_IO', `cannot read ${file}: ${(e as Error).message}`, { cause: e });
  }
  let parsed: { format?: unknown; releases?: unknown; highest_release?: unknown } | null; // the file may hold `null`
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch (e) {
    throw new UpdateClientError('STATE_CORRUPT', `${file} is not JSON: damaged`, { cause: e });
  }
  if (parsed?.format !== 1 || !Array.isArray(parsed.releases) || !parsed.releases.every(isKnownRelease) || !Number.isSafeInteger(parsed.highest_release)) {
    throw new UpdateClientError('STATE_CORRUPT', `${file} is damaged (unexpected fields); remove it and run vigil update again`);
  }
  return { releases: parsed.releases.map((r) => ({ release: r.release, sha256: r.sha256, length: r.length })), highestRelease: parsed.highest_release as number };
}

function writeInstallState(dbDir: string, state: InstallState, installed: number | undefined, previous: number | undefined): void {
  const body = { format: 1, installed: installed ?? null, previous: previous ?? null, highest_release: state.highestRelease, releases: state.releases };
  writeFileAtomic(join(dbDir, INSTALL_STATE_FILE), `${JSON.stringify(body, null, 2)}\n`, STATE_FILE_MODE);
}

function sha256File(file: string): { sha256: string; length: number } | undefined {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UpdateClientError('STATE_IO', `cannot read ${file}: ${(e as Error).message}`, { cause: e });
  }
  return { sha256: createHash('sha256').update(data).digest('hex'), length: data.length };
}

/** The verified release `file` holds, or undefined (missing, or not a release this state knows). */
export function releaseOfFile(file: string, state: InstallState): KnownRelease | undefined {
  const digest = sha256File(file);
  return digest && state.releases.find((r) => r.sha256 === digest.sha256 && r.length === digest.length);
}

export function installedRelease(dbDir: string, state: InstallState): KnownRelease | undefined {
  return releaseOfFile(join(dbDir, INSTALLED_IMAGE), state);
}

/** Removes files a killed update left aside (`.<name>.<pid>.<random>.tmp`). */
export function removeAsideFiles(dbDir: string): void {
  if (!existsSync(dbDir)) return;
  for (const e of readdirSync(dbDir)) if (e.startsWith('.') && e.endsWith(ASIDE_SUFFIX)) rmSync(join(dbDir, e), { force: true });
}

/** A fresh name beside `file` for writing aside. */
export function asideName(dbDir: string, base: string): string {
  return join(dbDir, `.${base}.${process.pid}.${randomBytes(4).toString('hex')}${ASIDE_SUFFIX}`);
}

/** Hard-links `from` to a name aside and renames it over `to`; copies (write aside, fsync, rename) where links are not supported. */
function replaceWithLink(dbDir: string, from: string, to: string): void {
  const aside = asideName(dbDir, PREVIOUS_IMAGE);
  try {
    linkSync(from, aside);
  } catch {
    const fd = openSync(aside, 'wx', IMAGE_FILE_MODE);
    try {
      writeFileSync(fd, readFileSync(from));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
  renameSync(aside, to);
  rmSync(aside, { force: true }); // rename(2) of two links to one file leaves both
}

/** Installs `image` (verified as `release` by the caller) into `dbDir`, keeping the installed one as the rollback copy. */
export function installImage(dbDir: string, image: Uint8Array, release: KnownRelease): { previous: KnownRelease | undefined } {
  mkdirSync(dbDir, { recursive: true });
  const state = readInstallState(dbDir);
  const installedFile = join(dbDir, INSTALLED_IMAGE);
  const current = releaseOfFile(installedFile, state);
  const keep = (list: (KnownRelease | undefined)[]) => {
    const out: KnownRelease[] = [];
    for (const r of list) if (r && !out.some((o) => o.sha256 === r.sha256)) out.push(r);
    return out;
  };
  const highestRelease = Math.max(state.highestRelease, release.release);
  const previousFile = join(dbDir, PREVIOUS_IMAGE);
  // 1. The state learns the new release first; what it knew stays until the files have moved.
  writeInstallState(dbDir, { releases: keep([release, current, ...state.releases]), highestRelease }, current?.release, releaseOfFile(previousFile, state)?.release);
  // 2. The installed image becomes the rollback copy (a verified release only).
  if (current) replaceWithLink(dbDir, installedFile, previousFile);
  syncFolder(dbDir);
  // 3. The new image.
  writeFileAtomic(installedFile, image, IMAGE_FILE_MODE);
  // 4. The state as it now is.
  const previous = current ?? releaseOfFile(previousFile, state);
  writeInstallState(dbDir, { releases: keep([release, previous]), highestRelease }, release.release, previous?.release);
  return { previous };
}

/** Swaps the installed image with the rollback copy, which must be a verified release. */
export function rollbackImage(dbDir: string, check: (image: Uint8Array, release: KnownRelease) => void): { restored: KnownRelease; replaced: KnownRelease | undefined } {
  const state = readInstallState(dbDir);
  const installedFile = join(dbDir, INSTALLED_IMAGE);
  const previousFile = join(dbDir, PREVIOUS_IMAGE);
  if (!existsSync(previousFile)) throw new UpdateClientError('NO_ROLLBACK', `there is no previous database in ${dbDir} to go back to`);
  const restored = releaseOfFile(previousFile, state);
  if (!restored) throw new UpdateClientError('NO_ROLLBACK', `${previousFile} is not a release this endpoint verified; not restoring it`);
  check(readFileSync(previousFile), restored);
  const replaced = releaseOfFile(installedFile, state);
  const aside = existsSync(installedFile) ? asideName(dbDir, INSTALLED_IMAGE) : undefined;
  if (aside) linkSync(installedFile, aside);
  renameSync(previousFile, installedFile);
  if (aside) renameSync(aside, previousFile);
  syncFolder(dbDir);
  writeInstallState(dbDir, state, restored.release, replaced?.release);
  return { restored, replaced };
}
