/** Checks a repository as a TUF client and a log auditor would, with @tufjs/models and the tlog library. */
import type { Store } from '../../../src/cloud/index.js';
import { createHash, createPublicKey, verify } from 'node:crypto';
import { Metadata, MetadataKind, type Root, type Snapshot, type Targets, type Timestamp } from '@tufjs/models';
import { expect } from 'vitest';
import { readLogFile, readMetadataFile, readTargetFile, rootLogInfo } from '../../../src/cloud/updates/index.js';
import { canonicalJson, hashLeaf, inclusionProofFromTiles, openCheckpoint, parseVerifierKey, verifyInclusion, type SignedCheckpoint, type TileFetcher } from '../../../src/protocol/index.js';

async function metadataJson(store: Store, name: string) {
  const file = await readMetadataFile(store, name);
  expect(file, name).toBeDefined();
  return { text: file!.data.toString('utf8'), json: JSON.parse(file!.data.toString('utf8')) };
}

export interface CheckedRepository {
  roots: Metadata<Root>[];
  targets: Metadata<Targets>;
  snapshot: Metadata<Snapshot>;
  timestamp: Metadata<Timestamp>;
  checkpoint: SignedCheckpoint;
  /** The time of the checkpoint, from the clock's cosignature. */
  checkpointTime: Date;
}

/**
 * Reads the clock cosignature of a checkpoint, written from C2SP tlog-cosignature independently of
 * the cloud's code: key ID SHA-256(name || "\n" || 0x04 || key)[:4], signature u64 time || Ed25519
 * over "cosignature/v1\ntime <T>\n" || checkpoint text.
 */
export function checkpointClock(note: string, clockVkey: string): Date {
  const [name, idHex, ...rest] = clockVkey.split('+') as [string, string, ...string[]];
  const keyB64 = rest.join('+'); // base64 may hold '+' itself
  const keyBytes = Buffer.from(keyB64, 'base64');
  expect(keyBytes[0]).toBe(0x04);
  const publicKey = keyBytes.subarray(1);
  expect(createHash('sha256').update(Buffer.concat([Buffer.from(`${name}\n`), Buffer.from([4]), publicKey])).digest().subarray(0, 4).toString('hex')).toBe(idHex);
  const cut = note.lastIndexOf('\n\n');
  const text = note.slice(0, cut + 1);
  const line = note.slice(cut + 2).split('\n').find((l) => l.startsWith(`\u2014 ${name} `));
  expect(line, 'clock cosignature line').toBeDefined();
  const sig = Buffer.from(line!.slice(`\u2014 ${name} `.length), 'base64');
  expect(sig.length).toBe(4 + 8 + 64);
  expect(sig.subarray(0, 4).toString('hex')).toBe(idHex);
  const seconds = sig.readBigUInt64BE(4);
  const key = createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), publicKey]), format: 'der', type: 'spki' });
  expect(verify(null, Buffer.from(`cosignature/v1\ntime ${seconds}\n${text}`), key, sig.subarray(12))).toBe(true);
  return new Date(Number(seconds) * 1000);
}

/** Walks every root version (TUF 5.3), then checks the newest targets, snapshot and timestamp (5.4-5.6) and every target file. */
export async function checkRepository(store: Store, now: Date): Promise<CheckedRepository> {
  const roots: Metadata<Root>[] = [];
  for (let v = 1; ; v++) {
    const file = await readMetadataFile(store, `${v}.root.json`);
    if (!file) break;
    const root = Metadata.fromJSON(MetadataKind.Root, JSON.parse(file.data.toString('utf8')));
    expect(root.signed.version).toBe(v);
    expect(root.signed.consistentSnapshot).toBe(true);
    // TUF 5.3.4: a new root is signed by the threshold of the old root's keys and of its own.
    if (roots.length > 0) roots[roots.length - 1]!.verifyDelegate('root', root);
    root.verifyDelegate('root', root);
    roots.push(root);
  }
  expect(roots.length).toBeGreaterThan(0);
  const root = roots[roots.length - 1]!;
  expect(root.signed.isExpired(now)).toBe(false);
  const ts = await metadataJson(store, 'timestamp.json');
  const timestamp = Metadata.fromJSON(MetadataKind.Timestamp, ts.json);
  root.verifyDelegate('timestamp', timestamp);
  expect(timestamp.signed.isExpired(now)).toBe(false);
  const snap = await metadataJson(store, `${timestamp.signed.snapshotMeta.version}.snapshot.json`);
  // TUF 5.5.2: the snapshot's hash and length are those the timestamp names.
  timestamp.signed.snapshotMeta.verify(Buffer.from(snap.text, 'utf8'));
  const snapshot = Metadata.fromJSON(MetadataKind.Snapshot, snap.json);
  root.verifyDelegate('snapshot', snapshot);
  expect(snapshot.signed.version).toBe(timestamp.signed.snapshotMeta.version);
  expect(snapshot.signed.isExpired(now)).toBe(false);
  const targetsVersion = snapshot.signed.meta['targets.json']!.version;
  const targets = Metadata.fromJSON(MetadataKind.Targets, (await metadataJson(store, `${targetsVersion}.targets.json`)).json);
  root.verifyDelegate('targets', targets);
  expect(targets.signed.version).toBe(targetsVersion);
  expect(targets.signed.isExpired(now)).toBe(false);
  for (const [name, target] of Object.entries(targets.signed.targets)) {
    const sha256 = target.hashes.sha256!;
    const file = await readTargetFile(store, `${sha256}.${name}`);
    expect(file, name).toBeDefined();
    expect(file!.data.length).toBe(target.length);
    expect(createHash('sha256').update(file!.data).digest('hex')).toBe(sha256);
  }
  const log = rootLogInfo(root.signed);
  const checkpointFile = await readLogFile(store, 'checkpoint');
  const checkpoint = openCheckpoint(checkpointFile!.data, { verifiers: [parseVerifierKey(log.key)], origin: log.origin });
  const checkpointTime = checkpointClock(checkpointFile!.data.toString('utf8'), log.clock);
  return { roots, targets, snapshot, timestamp, checkpoint, checkpointTime };
}

export const storeTiles =
  (store: Store): TileFetcher =>
  async (_tile, path) => (await readLogFile(store, path))?.data;

/** Verifies that `entry` is leaf `index` of the tree the checkpoint signs (RFC 9162 2.1.3.2). */
export async function checkInclusion(store: Store, checkpoint: SignedCheckpoint, index: number, entry: unknown): Promise<void> {
  const proof = await inclusionProofFromTiles(index, checkpoint.size, storeTiles(store));
  verifyInclusion(index, checkpoint.size, hashLeaf(Buffer.from(canonicalJson(entry), 'utf8')), proof, checkpoint.rootHash);
}
