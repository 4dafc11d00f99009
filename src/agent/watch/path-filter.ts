/**
 * Which paths `vigil watch` looks at, with `vigil scan`'s options: --exclude/--include on file
 * paths and --exclude-dir/--include-dir on folder paths, regular expressions on the whole path.
 */
export interface PathFilter {
  exclude: RegExp[];
  excludeDir: RegExp[];
  include: RegExp[];
  includeDir: RegExp[];
}

export const NO_FILTER: PathFilter = { exclude: [], excludeDir: [], include: [], includeDir: [] };

export function skipsFile(f: PathFilter, path: string): boolean {
  if (f.exclude.some((r) => r.test(path))) return true;
  return f.include.length > 0 && !f.include.some((r) => r.test(path));
}

export function skipsFolder(f: PathFilter, path: string): boolean {
  if (f.excludeDir.some((r) => r.test(path))) return true;
  return f.includeDir.length > 0 && !f.includeDir.some((r) => r.test(path));
}
