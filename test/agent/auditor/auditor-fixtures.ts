/**
 * Published repositories for the auditor tests: the cloud's real publisher (UpdateRepository on a
 * SQLite store) and its real export, then changed the ways a misbehaving vendor or server could.
 */
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { Metadata, MetadataKind } from '@tufjs/models';
import { openStore, exportRepository, type Store } from '../../../src/cloud/index.js';
import { KeyVault } from '../../../src/cloud/updates/index.js';
import { buildSnapshot, buildTargets, buildTimestamp, expiresAfter, signDocument, type TargetEntry } from '../../../src/cloud/updates/tuf-metadata.js';
import { compileSources } from '../../../src/engine/index.js';
import { compileRelease, openRepository, tempDir } from '../../cloud/updates/update-fixtures.js';

export { compileRelease, tempDir };

export interface Publisher {
  dataDir: string;
  store: Store;
  publish(image?: Uint8Array): Promise<number>;
  rotate(role: 'root' | 'targets'): Promise<void>;
  /** Exports the repository into a new folder (or `into`), returning it. */
  export(into?: string): Promise<string>;
  close(): Promise<void>;
}

const open: Store[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close().catch(() => undefined);
});

export async function publisher(dataDir = tempDir('vigil-audit-cloud-')): Promise<Publisher> {
  const store = await openStore({ dataDir });
  open.push(store);
  const repo = openRepository(store, dataDir, { logOrigin: 'audit.test/log', keepDeltas: 1 });
  let published = 0;
  return {
    dataDir,
    store,
    async publish(image) {
      const result = await repo.publish(image ?? compileRelease(published + 1), 'test');
      published = result.release.number;
      return published;
    },
    async rotate(role) {
      await repo.rotate(role, 'test');
    },
    async export(into) {
      const out = into ?? join(tempDir('vigil-audit-repo-'), 'repo');
      await exportRepository(store, out);
      return out;
    },
    close: async () => {
      open.splice(open.indexOf(store), 1);
      await store.close();
    },
  };
}

/** A copy of a publisher's data folder (store and keys), published to from here on separately. */
export async function clonePublisher(from: Publisher): Promise<Publisher> {
  await from.close();
  const copy = tempDir('vigil-audit-clone-');
  cpSync(from.dataDir, copy, { recursive: true });
  const reopened = await publisher(from.dataDir);
  Object.assign(from, reopened);
  return publisher(copy);
}

/** A database image from signature source files given as text. */
export function compileImage(files: Record<string, string>): Uint8Array {
  const dir = tempDir('vigil-audit-sources-');
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return compileSources([dir]).image;
}

/** Flips one bit of a file. */
export function flipBit(file: string, at = 0): void {
  const data = readFileSync(file);
  data[at] = data[at]! ^ 0x01;
  writeFileSync(file, data);
}

function readJson(repo: string, path: string): unknown {
  return JSON.parse(readFileSync(join(repo, path), 'utf8'));
}

/**
 * Signs, with the publisher's own targets, snapshot and timestamp keys, new targets metadata made by
 * `change` from the newest one, and writes it into the exported repository as the newest version
 * (or over version `replace`), as a vendor bypassing the log would.
 */
export function forgeTargets(p: Publisher, repo: string, change: (entries: TargetEntry[]) => TargetEntry[], replace?: number): void {
  const vault = new KeyVault(p.dataDir, undefined);
  const timestamp = readJson(repo, 'metadata/timestamp.json') as { signed: { version: number; meta: Record<string, { version: number }> } };
  const snapVersion = timestamp.signed.meta['snapshot.json']!.version;
  const snapshot = Metadata.fromJSON(MetadataKind.Snapshot, readJson(repo, `metadata/${snapVersion}.snapshot.json`) as never);
  const targetsVersion = snapshot.signed.meta['targets.json']!.version;
  let rootVersion = 1;
  for (let v = 2; ; v++) {
    try {
      readFileSync(join(repo, `metadata/${v}.root.json`));
      rootVersion = v;
    } catch {
      break;
    }
  }
  const root = Metadata.fromJSON(MetadataKind.Root, readJson(repo, `metadata/${rootVersion}.root.json`) as never);
  const keysOf = (role: string) => root.signed.roles[role]!.keyIDs.filter((id) => vault.has(id)).map((id) => vault.load(id));
  const base = replace ?? targetsVersion;
  const old = Metadata.fromJSON(MetadataKind.Targets, readJson(repo, `metadata/${base}.targets.json`) as never);
  const entries: TargetEntry[] = Object.entries(old.signed.targets).map(([name, t]) => ({ name, sha256: t.hashes['sha256']!, length: t.length, custom: t.custom }));
  const expires = expiresAfter(new Date(), 30);
  const version = replace ?? targetsVersion + 1;
  const targets = signDocument(buildTargets(version, change(entries), expires), 'targets', keysOf('targets'), [root]);
  mkdirSync(join(repo, 'metadata'), { recursive: true });
  writeFileSync(join(repo, `metadata/${version}.targets.json`), targets.text);
  if (replace !== undefined) return;
  const snap = signDocument(buildSnapshot(snapVersion + 1, version, expires), 'snapshot', keysOf('snapshot'), [root]);
  writeFileSync(join(repo, `metadata/${snapVersion + 1}.snapshot.json`), snap.text);
  const ts = signDocument(buildTimestamp(timestamp.signed.version + 1, snap, expiresAfter(new Date(), 1)), 'timestamp', keysOf('timestamp'), [root]);
  writeFileSync(join(repo, 'metadata/timestamp.json'), ts.text);
}
