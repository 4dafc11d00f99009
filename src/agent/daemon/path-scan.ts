/**
 * SCAN, CONTSCAN, MULTISCAN and ALLMATCHSCAN of a path on the daemon's host, with clamd's output
 * (checked against clamd 1.4.6):
 * - a file: `PATH: SIGNATURE FOUND` or `PATH: OK` (files above MaxFileSize are OK, unscanned);
 * - a folder, walked recursively: only infected files and errors are reported, and `DIR: OK` when
 *   there were none; SCAN and ALLMATCHSCAN stop at the first infected file, CONTSCAN and MULTISCAN
 *   go on (MULTISCAN scans several files at once and reports them as they finish);
 * - ALLMATCHSCAN reports every matching signature of a file, one line each;
 * - a path that cannot be examined: `PATH: File path check failure: REASON. ERROR`;
 * - symbolic links are not followed unless FollowFileSymlinks / FollowDirectorySymlinks say so
 *   (clamscan's levels: 1 follows a named link, 2 links inside folders too); a link not followed
 *   is reported OK when named directly and skipped inside a folder;
 * - ExcludePath: a named path matching either list is reported `Excluded`; inside a folder,
 *   matching files and folders are skipped silently.
 */
import type { Stats } from 'node:fs';
import { lstat, readdir, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { PoolTaskResult } from '../../engine/index.js';
import type { SymlinkLevel } from '../scan/index.js';

export type PathCommand = 'SCAN' | 'CONTSCAN' | 'MULTISCAN' | 'ALLMATCHSCAN';

export interface PathScanOptions {
  followDirectorySymlinks: SymlinkLevel;
  followFileSymlinks: SymlinkLevel;
  /** Files not scanned. */
  excludePaths: RegExp[];
  /** Folders not entered. */
  excludeDirs: RegExp[];
  maxDirectoryRecursion: number;
  /** Files scanned at once by MULTISCAN for one client. */
  parallel: number;
  /** Scans one file (through the daemon's job gate). */
  scanFile(path: string, size: number, allMatch: boolean): Promise<PoolTaskResult>;
  /** Sends one reply line (without delimiter). */
  emit(line: string): void;
  /** True once the client has gone: stop walking. */
  stopped(): boolean;
}

/** strerror(3) texts, as clamd prints them. */
const STRERROR: Record<string, string> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  ENOTDIR: 'Not a directory',
  ELOOP: 'Too many levels of symbolic links',
  ENAMETOOLONG: 'File name too long',
  EIO: 'Input/output error',
  EISDIR: 'Is a directory',
};

export function strerror(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  const known = code ? STRERROR[code] : undefined;
  return known ?? (e as Partial<Error> | null | undefined)?.message ?? String(e);
}

function joinPath(dir: string, name: string): string {
  return dir.endsWith('/') ? `${dir}${name}` : `${dir}/${name}`;
}

interface Tally {
  infected: number;
  errors: number;
  /** Set by SCAN/ALLMATCHSCAN at the first infected file. */
  done: boolean;
}

export async function scanPath(command: PathCommand, path: string, opts: PathScanOptions): Promise<void> {
  const allMatch = command === 'ALLMATCHSCAN';
  const stopAtFirst = command === 'SCAN' || command === 'ALLMATCHSCAN';
  const fsPath = (p: string) => resolve(p);
  let st: Stats;
  try {
    if (path === '') throw Object.assign(new Error('empty path'), { code: 'ENOENT' });
    st = await lstat(fsPath(path));
  } catch (e) {
    opts.emit(`${path}: File path check failure: ${strerror(e)}. ERROR`);
    return;
  }
  if (opts.excludePaths.some((r) => r.test(path)) || opts.excludeDirs.some((r) => r.test(path))) {
    opts.emit(`${path}: Excluded`);
    return;
  }
  if (st.isSymbolicLink()) {
    let target: Stats;
    try {
      target = await stat(fsPath(path));
    } catch {
      opts.emit(`${path}: OK`);
      return;
    }
    const follow = target.isDirectory() ? opts.followDirectorySymlinks : opts.followFileSymlinks;
    if (follow < 1) {
      opts.emit(`${path}: OK`);
      return;
    }
    st = target;
  }
  const tally: Tally = { infected: 0, errors: 0, done: false };
  const report = (file: string, outcome: PoolTaskResult, named: boolean) => {
    if (!outcome.ok) {
      tally.errors++;
      opts.emit(`${file}: ${outcome.code === 'ENOENT' || outcome.code === 'EACCES' || outcome.code === 'EPERM' ? `File path check failure: ${strerror({ code: outcome.code })}.` : `Can't read file (${outcome.code}).`} ERROR`);
      return;
    }
    const r = outcome.result;
    if (r.infected && r.findings.length > 0) {
      tally.infected++;
      for (const f of allMatch ? r.findings : r.findings.slice(0, 1)) opts.emit(`${file}: ${f.signature} FOUND`);
      if (stopAtFirst) tally.done = true;
    } else if (named) opts.emit(`${file}: OK`);
  };

  if (!st.isDirectory()) {
    if (!st.isFile()) {
      opts.emit(`${path}: Not supported file type. ERROR`);
      return;
    }
    report(path, await opts.scanFile(fsPath(path), st.size, allMatch), true);
    return;
  }

  const inFlight = new Set<Promise<void>>();
  const parallel = command === 'MULTISCAN' ? Math.max(1, opts.parallel) : 1;
  const visited = new Set<string>();
  const walk = async (dir: string, dirStat: Stats, depth: number): Promise<void> => {
    const id = `${dirStat.dev}:${dirStat.ino}`;
    if (visited.has(id)) return;
    visited.add(id);
    let names: string[];
    try {
      names = (await readdir(fsPath(dir))).sort();
    } catch (e) {
      tally.errors++;
      opts.emit(`${dir}: Can't open directory: ${strerror(e)}. ERROR`);
      return;
    }
    for (const name of names) {
      if (tally.done || opts.stopped()) return;
      const child = joinPath(dir, name);
      let cst: Stats;
      try {
        cst = await lstat(fsPath(child));
        if (cst.isSymbolicLink()) {
          const target = await stat(fsPath(child));
          if ((target.isDirectory() ? opts.followDirectorySymlinks : opts.followFileSymlinks) < 2) continue;
          cst = target;
        }
      } catch {
        continue; // vanished, or a dangling link: clamd skips these silently
      }
      if ((cst.isDirectory() ? opts.excludeDirs : opts.excludePaths).some((r) => r.test(child))) continue;
      if (cst.isDirectory()) {
        if (depth < opts.maxDirectoryRecursion) await walk(child, cst, depth + 1);
        continue;
      }
      if (!cst.isFile() || cst.size === 0) continue;
      const size = cst.size;
      const job = opts.scanFile(fsPath(child), size, allMatch).then((outcome) => {
        if (!tally.done && !opts.stopped()) report(child, outcome, false);
      });
      if (parallel === 1) {
        await job;
        continue;
      }
      const tracked = job.finally(() => inFlight.delete(tracked));
      inFlight.add(tracked);
      if (inFlight.size >= parallel) await Promise.race(inFlight);
    }
  };
  await walk(path.length > 1 ? path.replace(/\/+$/, '') : path, st, 0);
  await Promise.all(inFlight);
  if (opts.stopped()) return;
  if (tally.infected === 0 && tally.errors === 0) opts.emit(`${path}: OK`);
}
