import { readFileSync } from 'node:fs';

/** The package version, read from package.json next to dist/. */
export function vigilVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    return pkg.version;
  } catch {
    return '0.0.0';
  }
}
