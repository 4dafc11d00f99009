/**
 * Turns `-d` arguments into one loaded database: a compiled image is read as it is; ClamAV-format
 * sources are compiled once and the image is cached under the SHA-256 digest of the sources'
 * contents (and names, and the compiler version), so the next start is a single read. Hashing
 * hundreds of MB of sources on every start would cost more than the load itself, so a small index
 * remembers the digest for each (path, size, mtime, inode) set and the contents are hashed again
 * only when one of those changes.
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { openBuiltinDatabase } from './builtin-database.js';
import { DatabaseBuilder } from './compile/index.js';
import { IMAGE_FORMAT_VERSION, IMAGE_MAGIC } from './compile/index.js';
import { Database } from './database.js';
import { EngineError, isWarning, type DatabaseProblem } from './errors.js';
import { listSourceFiles, loadSourceFiles } from './signatures/index.js';

/** File extension of compiled images. */
export const IMAGE_EXTENSION = '.vigildb';
/** Bumped whenever the compiler's output changes for the same sources. */
export const COMPILER_VERSION = `vigil-compiler-5/format-${IMAGE_FORMAT_VERSION}`;

export interface OpenOptions {
  /** Folder for compiled images of sources; false disables the cache. Default: VIGIL_CACHE_DIR, XDG_CACHE_HOME/vigil, ~/.cache/vigil. */
  cacheDir?: string | false;
  /** Read the image into a SharedArrayBuffer so worker threads can share it. */
  shared?: boolean;
}

export interface OpenedDatabase {
  db: Database;
  /** The image bytes (shared when asked), for handing to workers. */
  bytes: Uint8Array;
  /** Warnings from compiling sources (empty when the image came from the cache). */
  warnings: DatabaseProblem[];
  /** Whether sources were compiled in this call. */
  compiled: boolean;
}

export function defaultCacheDir(): string {
  const env = process.env;
  if (env.VIGIL_CACHE_DIR) return env.VIGIL_CACHE_DIR;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'vigil');
  return join(homedir(), '.cache', 'vigil');
}

function isImageFile(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const head = Buffer.alloc(8);
    return readSync(fd, head, 0, 8, 0) === 8 && head.toString('latin1') === IMAGE_MAGIC;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Reads a file in one go into an 8-byte-aligned buffer (shared if asked). */
export function readImage(path: string, shared = false): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const bytes = new Uint8Array(shared ? new SharedArrayBuffer(size) : new ArrayBuffer(size));
    let at = 0;
    while (at < size) {
      const n = readSync(fd, bytes, at, size - at, at);
      if (n === 0) break;
      at += n;
    }
    if (at !== size) throw new EngineError('IMAGE_CORRUPT', `${path}: file shrank while being read`);
    return bytes;
  } catch (e) {
    if (e instanceof EngineError) throw e;
    throw new EngineError('READ_ERROR', `${path}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  } finally {
    closeSync(fd);
  }
}

function toShared(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(new SharedArrayBuffer(bytes.length));
  out.set(bytes);
  return out;
}

/** Finds the compiled images among the paths (files, or folders holding one). */
function findImages(paths: string[]): string[] {
  const images: string[] = [];
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch {
      continue;
    }
    if (st.isDirectory()) {
      for (const e of readdirSync(p)) if (e.endsWith(IMAGE_EXTENSION)) images.push(join(p, e));
    } else if (isImageFile(p)) images.push(p);
  }
  return images;
}

/** What a user can do when -d names no database. */
const DATABASE_HINT = 'give -d a signature file (.hdb, .ndb, .ldb, .cvd, ...), a folder of them or a compiled image; without -d the built-in database is used';

/** Compiles sources to an image; errors (not warnings) throw DATABASE_INVALID with every problem. */
export function compileSources(paths: string[]): { image: Buffer; warnings: DatabaseProblem[] } {
  const problems: DatabaseProblem[] = [];
  const files = listSourceFiles(paths, problems);
  if (files.length === 0 && problems.length === 0) {
    throw new EngineError('DATABASE_NOT_FOUND', `no signature database found in ${paths.join(', ')}`, { hint: DATABASE_HINT });
  }
  const builder = new DatabaseBuilder();
  loadSourceFiles(files, builder, problems);
  const errors = problems.filter((p) => !isWarning(p));
  if (errors.length > 0) {
    throw new EngineError('DATABASE_INVALID', `${errors.length} error(s) in the signature database`, { problems });
  }
  return { image: builder.build(), warnings: problems };
}

/** Identity of the sources as the file system sees them (cheap: no reads). */
function statKey(files: string[]): string {
  const h = createHash('sha256').update(COMPILER_VERSION);
  for (const f of files) {
    const st = statSync(f);
    h.update(`\n${resolve(f)}\0${st.size}\0${st.mtimeMs}\0${st.ino}`);
  }
  return h.digest('hex');
}

/** Digest of the sources' names and contents: the cache key of their compiled image. */
function contentKey(files: string[]): string {
  const h = createHash('sha256').update(COMPILER_VERSION);
  for (const f of files) {
    const data = readFileSync(f);
    h.update(`\n${f.split('/').pop()!}\0${data.length}\0`).update(data);
  }
  return h.digest('hex');
}

function atomicWrite(path: string, data: Uint8Array | string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

function rememberDigest(indexPath: string, digest: string): void {
  try {
    mkdirSync(join(indexPath, '..'), { recursive: true });
    atomicWrite(indexPath, `${digest}\n`);
  } catch {
    // best effort
  }
}

/** Opens the database named by `paths` (none: the built-in one). */
export function openDatabase(paths: string[], opts: OpenOptions = {}): OpenedDatabase {
  if (paths.length === 0) {
    const db = openBuiltinDatabase();
    const bytes = opts.shared ? toShared(db.image.bytes) : db.image.bytes;
    return { db: opts.shared ? new Database(bytes, db.source) : db, bytes, warnings: [], compiled: false };
  }
  for (const p of paths) {
    try {
      statSync(p);
    } catch (e) {
      throw new EngineError('DATABASE_NOT_FOUND', `${p}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`, { hint: DATABASE_HINT });
    }
  }
  const images = findImages(paths);
  if (images.length > 0) {
    if (images.length > 1 || paths.length > 1) {
      throw new EngineError('DATABASE_INVALID', `a compiled image (${images[0]!}) must be the only database; compile sources together with 'vigil db compile'`);
    }
    const bytes = readImage(images[0]!, opts.shared);
    return { db: new Database(bytes, images[0]!), bytes, warnings: [], compiled: false };
  }
  const problems: DatabaseProblem[] = [];
  const files = listSourceFiles(paths, problems);
  const cacheDir = opts.cacheDir ?? defaultCacheDir();
  let cachePath: string | null = null;
  let indexPath: string | null = null;
  if (cacheDir !== false && problems.length === 0 && files.length > 0) {
    const tryLoad = (path: string): OpenedDatabase | null => {
      try {
        const bytes = readImage(path, opts.shared);
        return { db: new Database(bytes, path), bytes, warnings: [], compiled: false };
      } catch {
        return null; // not cached yet, or damaged: compile below
      }
    };
    indexPath = join(cacheDir, 'index', statKey(files));
    try {
      const known = readFileSync(indexPath, 'utf8').trim();
      const hit = /^[0-9a-f]{64}$/.test(known) ? tryLoad(join(cacheDir, `${known}${IMAGE_EXTENSION}`)) : null;
      if (hit) return hit;
    } catch {
      // no index entry for these files as they are now
    }
    const digest = contentKey(files);
    cachePath = join(cacheDir, `${digest}${IMAGE_EXTENSION}`);
    const hit = tryLoad(cachePath);
    if (hit) {
      rememberDigest(indexPath, digest);
      return hit;
    }
  }
  const { image, warnings } = compileSources(paths);
  if (cachePath !== null && indexPath !== null) {
    try {
      mkdirSync(cacheDir as string, { recursive: true });
      atomicWrite(cachePath, image);
      rememberDigest(indexPath, cachePath.slice(-IMAGE_EXTENSION.length - 64, -IMAGE_EXTENSION.length));
    } catch {
      // A read-only cache only costs the next start a compile.
    }
  }
  const bytes = opts.shared ? toShared(image) : new Uint8Array(image.buffer, image.byteOffset, image.byteLength);
  return { db: new Database(bytes, paths.join(', ')), bytes, warnings, compiled: true };
}
