/** Signature sources and repositories for the update tests. */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { compileSources } from '../../../src/engine/index.js';
import { KeyVault, UpdateRepository, type UpdateConfig } from '../../../src/cloud/updates/index.js';
import type { Store } from '../../../src/cloud/index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

export function tempDir(prefix = 'vigil-updates-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

/** A folder of .hdb sources with `count` hash signatures, the n-th release's set. */
export function writeSources(release: number, count = 50): string {
  const dir = tempDir('vigil-sources-');
  const lines: string[] = [];
  for (let i = 0; i < count + release; i++) {
    const md5 = createHash('md5').update(`sample ${i}`).digest('hex');
    lines.push(`${md5}:${100 + i}:Vigil.Test.Sample-${i}`);
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'test.hdb'), `${lines.join('\n')}\n`);
  return dir;
}

export function compileRelease(release: number): Uint8Array {
  return compileSources([writeSources(release)]).image;
}

export function openRepository(store: Store, dataDir: string, config: Partial<UpdateConfig> = {}, now = () => new Date()) {
  return new UpdateRepository({ store, vault: new KeyVault(dataDir, undefined), config, now });
}
