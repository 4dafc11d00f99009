/**
 * Walks the paths given to a scan job with clamscan's rules: a folder argument has its files
 * scanned, its sub-folders only with --recursive; symbolic links are followed on the command line
 * (level 1, the default) or everywhere (level 2); --exclude/--include apply to files and
 * --exclude-dir/--include-dir to folders (regular expressions on the whole path); a folder already
 * being walked is never entered again, so link loops end.
 */
import { lstat, readdir, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import type { ScanSettings } from './scan-settings.js';

/** The settings the walk reads: exclusions, inclusions and symbolic links. */
export type WalkSettings = Pick<ScanSettings, 'excludePaths' | 'excludeDirs' | 'includePaths' | 'includeDirs' | 'followDirectorySymlinks' | 'followFileSymlinks'>;

export interface WalkOptions {
  /** Enter the sub-folders of a folder argument (clamscan's --recursive). */
  recursive: boolean;
  settings: WalkSettings;
}

export type WalkEvent =
  | { kind: 'file'; path: string; size: number }
  | { kind: 'empty'; path: string }
  | { kind: 'excluded'; path: string }
  | { kind: 'symlink'; path: string }
  | { kind: 'directory'; path: string }
  | { kind: 'missing'; path: string; reason: string }
  | { kind: 'error'; path: string; reason: string };

function childPath(dir: string, name: string): string {
  return dir.endsWith('/') ? `${dir}${name}` : `${dir}/${name}`;
}

function errorReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') return 'Access denied';
  if (code === 'ENOENT') return 'No such file or directory';
  if (code === 'ELOOP') return 'Too many levels of symbolic links';
  return (e as Error).message;
}

export async function* walk(paths: string[], walkOptions: WalkOptions): AsyncGenerator<WalkEvent> {
  const opts = walkOptions.settings;
  const active = new Set<string>();
  const fileEvent = (path: string, st: Stats): WalkEvent => {
    if (opts.excludePaths.some((r) => r.test(path))) return { kind: 'excluded', path };
    if (opts.includePaths.length > 0 && !opts.includePaths.some((r) => r.test(path))) return { kind: 'excluded', path };
    return st.size === 0 ? { kind: 'empty', path } : { kind: 'file', path, size: st.size };
  };

  async function* walkDir(dir: string, st: Stats, depth: number): AsyncGenerator<WalkEvent> {
    const id = `${st.dev}:${st.ino}`;
    if (active.has(id)) return;
    active.add(id);
    let names: string[];
    try {
      names = (await readdir(dir)).sort();
    } catch (e) {
      yield { kind: 'error', path: dir, reason: errorReason(e) === 'Access denied' ? "Can't open directory" : errorReason(e) };
      active.delete(id);
      return;
    }
    yield { kind: 'directory', path: dir };
    for (const name of names) {
      const path = childPath(dir, name);
      let l: Stats;
      try {
        l = await lstat(path);
      } catch (e) {
        yield { kind: 'error', path, reason: errorReason(e) };
        continue;
      }
      let target = l;
      if (l.isSymbolicLink()) {
        try {
          target = await stat(path);
        } catch {
          yield { kind: 'symlink', path };
          continue;
        }
        const follow = target.isDirectory() ? opts.followDirectorySymlinks : opts.followFileSymlinks;
        if (follow < 2) {
          yield { kind: 'symlink', path };
          continue;
        }
      }
      if (target.isDirectory()) {
        if (!walkOptions.recursive) continue;
        if (opts.excludeDirs.some((r) => r.test(path))) {
          yield { kind: 'excluded', path };
          continue;
        }
        if (opts.includeDirs.length > 0 && !opts.includeDirs.some((r) => r.test(path))) continue;
        yield* walkDir(path, target, depth + 1);
      } else if (target.isFile()) {
        yield fileEvent(path, target);
      }
    }
    active.delete(id);
  }

  for (const arg of paths) {
    let l: Stats;
    try {
      l = await lstat(arg);
    } catch (e) {
      yield { kind: 'missing', path: arg, reason: errorReason(e) };
      continue;
    }
    let target = l;
    if (l.isSymbolicLink()) {
      try {
        target = await stat(arg);
      } catch (e) {
        yield { kind: 'missing', path: arg, reason: errorReason(e) };
        continue;
      }
      const follow = target.isDirectory() ? opts.followDirectorySymlinks : opts.followFileSymlinks;
      if (follow < 1) {
        yield { kind: 'symlink', path: arg };
        continue;
      }
    }
    if (target.isDirectory()) yield* walkDir(arg, target, 0);
    else if (target.isFile()) yield fileEvent(arg, target);
    else yield { kind: 'error', path: arg, reason: 'Not a regular file' };
  }
}
