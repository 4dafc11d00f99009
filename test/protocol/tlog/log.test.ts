// The append-only log over an in-memory store, read the way a client and an auditor read it: a
// verified checkpoint, then static tiles only. And verifyConsistencyChain catching forks, shrinks
// and bad proofs.
import { describe, expect, it } from 'vitest';
import {
  CHECKPOINT_PATH,
  computeTile,
  consistencyProofFromTiles,
  decodeEntryBundle,
  EMPTY_TREE_HASH,
  entryBundlePath,
  generateNoteKeys,
  hashLeaf,
  inclusionProofFromTiles,
  MemoryTlogStorage,
  MerkleTree,
  openCheckpoint,
  parseSignerKey,
  tilePath,
  tilesForTreeSize,
  TlogError,
  TransparencyLog,
  verifyConsistency,
  verifyConsistencyChain,
  verifyInclusion,
  type SignedCheckpoint,
  type TileFetcher,
} from '../../../src/protocol/tlog/index.js';

const ORIGIN = 'updates.vigil.example/log';
const keys = generateNoteKeys(ORIGIN);
const signer = parseSignerKey(keys.signerKey);
const entry = (i: number, tag = '') => Buffer.from(`release ${i}${tag}: sha256=${i.toString(16).padStart(64, '0')}`);

async function codeOf(f: () => unknown): Promise<string> {
  try {
    await f();
  } catch (e) {
    if (e instanceof TlogError) return e.code;
    throw e;
  }
  return 'none';
}

async function newLog(storage = new MemoryTlogStorage()) {
  return { storage, log: await TransparencyLog.open({ storage, origin: ORIGIN, signer }) };
}

/** What a client does: reads `checkpoint` from the store and verifies it with the log's key. */
async function clientCheckpoint(storage: MemoryTlogStorage): Promise<SignedCheckpoint> {
  return openCheckpoint((await storage.read(CHECKPOINT_PATH))!, { verifiers: [keys.verifierKey], origin: ORIGIN });
}

const fetcher = (storage: MemoryTlogStorage): TileFetcher => (_t, path) => storage.read(path);

describe('TransparencyLog', () => {
  it('publishes a signed checkpoint of the empty log', async () => {
    const { storage, log } = await newLog();
    const cp = await log.publish();
    expect(cp.size).toBe(0);
    expect(cp.rootHash).toEqual(EMPTY_TREE_HASH);
    expect((await clientCheckpoint(storage)).size).toBe(0);
  });

  it('keeps the tiles and bundles of C2SP tlog-tiles, and checkpoints a client verifies, across levels', async () => {
    const { storage, log } = await newLog();
    const reference = new MerkleTree();
    const batches = [1, 254, 1, 1, 300, 1000, 64_000, 500, 1];
    const checkpoints: SignedCheckpoint[] = [];
    let n = 0;
    for (const batch of batches) {
      for (let i = 0; i < batch; i++, n++) {
        expect(log.append(entry(n))).toBe(n);
        reference.append(entry(n));
      }
      await log.publish();
      const cp = await clientCheckpoint(storage);
      expect(cp.size).toBe(n);
      expect(cp.rootHash).toEqual(reference.root());
      // Every tile of this size is in the store, as the reference tree computes it.
      const wrong: string[] = [];
      for (const t of tilesForTreeSize(n)) {
        const stored = await storage.read(tilePath(t));
        if (stored === undefined || !Buffer.from(stored).equals(computeTile(t, reference.nodeHash))) wrong.push(tilePath(t));
      }
      expect(wrong).toEqual([]);
      checkpoints.push(cp);
    }
    expect(n).toBe(66_058);
    // Entry bundles hold the entries.
    const text = (b: Uint8Array | undefined) => Buffer.from(b!).toString();
    expect(text(decodeEntryBundle((await storage.read(entryBundlePath(0, 256)))!, 256)[255])).toBe(String(entry(255)));
    expect(text(decodeEntryBundle((await storage.read(entryBundlePath(258, 10)))!, 10)[9])).toBe(String(entry(66_057)));
    expect(text(await log.readEntry(66_000))).toBe(String(entry(66_000)));
    // A client proves inclusion from static tiles and the checkpoint alone.
    const last = checkpoints.at(-1)!;
    for (const i of [0, 255, 256, 65_535, 65_536, 66_057]) {
      verifyInclusion(i, last.size, hashLeaf(entry(i)), await inclusionProofFromTiles(i, last.size, fetcher(storage)), last.rootHash);
    }
    // An auditor checks that every checkpoint extends the one before, from tiles alone.
    const proofs = await Promise.all(checkpoints.slice(1).map((cp, i) => consistencyProofFromTiles(checkpoints[i]!.size, cp.size, fetcher(storage))));
    expect(verifyConsistencyChain(checkpoints, proofs)).toBe(last);
    // The log's own proof functions agree.
    expect(await log.inclusionProof(300, 557)).toEqual(reference.inclusionProof(300, 557));
    expect(await log.consistencyProof(257, 1557)).toEqual(reference.consistencyProof(257, 1557));
  });

  it('resumes from its store and keeps growing the same tree', async () => {
    const storage = new MemoryTlogStorage();
    const first = (await newLog(storage)).log;
    for (let i = 0; i < 300; i++) first.append(entry(i));
    const before = await first.publish();
    const again = (await newLog(storage)).log;
    expect(again.size).toBe(300);
    for (let i = 300; i < 700; i++) again.append(entry(i));
    const after = await again.publish();
    verifyConsistency(300, 700, await again.consistencyProof(300), before.rootHash, after.rootHash);
    expect(after.rootHash).toEqual(MerkleTree.fromEntries(Array.from({ length: 700 }, (_, i) => entry(i))).root());
  });

  it('refuses to resume from a store whose tiles or checkpoint were altered', async () => {
    const { storage, log } = await newLog();
    for (let i = 0; i < 300; i++) log.append(entry(i));
    await log.publish();
    const tile = storage.files.get('tile/0/001.p/44')!;
    tile[0]! ^= 1;
    expect(await codeOf(() => newLog(storage))).toBe('STORAGE_CORRUPT');
    tile[0]! ^= 1;
    await storage.write(CHECKPOINT_PATH, Buffer.from(String(storage.files.get(CHECKPOINT_PATH)).replace('300', '301')));
    expect(await codeOf(() => newLog(storage))).toBe('STORAGE_CORRUPT');
  });

  it('refuses to extend a tree whose published tiles were altered', async () => {
    const { storage, log } = await newLog();
    for (let i = 0; i < 300; i++) log.append(entry(i));
    await log.publish();
    storage.files.get('tile/0/001.p/44')![5]! ^= 1;
    log.append(entry(300));
    expect(await codeOf(() => log.publish())).toBe('STORAGE_CORRUPT');
    expect(log.pending).toBe(1); // the entry waits for a retry
  });

  it('publishes one batch at a time, and refuses entries a bundle cannot hold', async () => {
    const { log } = await newLog();
    log.append(entry(0));
    const [a, b] = await Promise.all([log.publish(), log.publish()]);
    expect([a.size, b.size]).toEqual([1, 1]);
    expect(await codeOf(() => log.append(new Uint8Array(65_536)))).toBe('ENTRY_TOO_LARGE');
    expect(await codeOf(() => log.inclusionProof(0, 2))).toBe('BAD_ARGUMENT');
    expect(await codeOf(() => log.readEntry(1))).toBe('INDEX_OUT_OF_RANGE');
  });
});

describe('verifyConsistencyChain', () => {
  async function logOf(n: number, tag = '') {
    const { storage, log } = await newLog();
    const checkpoints: SignedCheckpoint[] = [];
    for (let i = 0; i < n; i++) {
      log.append(entry(i, i >= 5 ? tag : ''));
      if (i % 3 === 2 || i === n - 1) checkpoints.push(await log.publish());
    }
    return { storage, log, checkpoints };
  }

  it('accepts a growing log, and a checkpoint seen twice', async () => {
    const { log, checkpoints } = await logOf(10);
    const [c3, c6, c9, c10] = checkpoints as [SignedCheckpoint, SignedCheckpoint, SignedCheckpoint, SignedCheckpoint];
    const proofs = [await log.consistencyProof(3, 6), await log.consistencyProof(6, 9), await log.consistencyProof(9, 10), []];
    expect(verifyConsistencyChain([c3, c6, c9, c10, c10], proofs)).toBe(c10);
    expect(verifyConsistencyChain([c10], [])).toBe(c10);
  });

  it('reports a fork: two checkpoints of one size with different roots', async () => {
    const honest = await logOf(10);
    const forked = await logOf(10, ' (tampered)');
    const [a, b] = [honest.checkpoints[2]!, forked.checkpoints[2]!];
    expect(a.size).toBe(b.size);
    const proofs = [await honest.log.consistencyProof(3, 9), []];
    const fork = await catchTlog(() => verifyConsistencyChain([honest.checkpoints[0]!, a, b], proofs));
    expect([fork.code, fork.index]).toEqual(['FORK', 2]);
  });

  it('reports a shrink: a newer checkpoint smaller than an older one', async () => {
    const { checkpoints } = await logOf(10);
    const e = await catchTlog(() => verifyConsistencyChain([checkpoints[2]!, checkpoints[1]!], [[]]));
    expect([e.code, e.index]).toEqual(['SHRINK', 1]);
  });

  it('reports a failed consistency proof: the log rewrote its past', async () => {
    const honest = await logOf(10);
    const forked = await logOf(10, ' (tampered)');
    // The logs agree on entries 0 to 4 and differ from entry 5 on. A reader who kept the honest
    // checkpoint of size 6 is shown the forked one of size 10, with the forked log's proof.
    const old = honest.checkpoints[1]!;
    const newer = forked.checkpoints[3]!;
    expect([old.size, newer.size]).toEqual([6, 10]);
    const e = await catchTlog(async () => verifyConsistencyChain([old, newer], [await forked.log.consistencyProof(6, 10)]));
    expect([e.code, e.index]).toEqual(['INCONSISTENT', 1]);
    expect((e.cause as TlogError).code).toBe('ROOT_MISMATCH');
    // The honest log's proof does not help either: it leads to the honest root of 10.
    const e2 = await catchTlog(async () => verifyConsistencyChain([old, newer], [await honest.log.consistencyProof(6, 10)]));
    expect(e2.code).toBe('INCONSISTENT');
    // Both logs agree up to 3 entries: the forked checkpoint does extend the honest one of size 3.
    expect(verifyConsistencyChain([honest.checkpoints[0]!, newer], [await forked.log.consistencyProof(3, 10)])).toBe(newer);
  });

  it('reports checkpoints of different logs, and miscounted proofs', async () => {
    const { checkpoints } = await logOf(6);
    const other = { ...checkpoints[1]!, origin: 'other.example/log' };
    expect((await catchTlog(() => verifyConsistencyChain([checkpoints[1]!, other], [[]]))).code).toBe('WRONG_ORIGIN');
    expect((await catchTlog(() => verifyConsistencyChain(checkpoints, []))).code).toBe('BAD_ARGUMENT');
    expect((await catchTlog(() => verifyConsistencyChain([], []))).code).toBe('BAD_ARGUMENT');
  });
});

async function catchTlog(f: () => unknown): Promise<TlogError> {
  try {
    await f();
  } catch (e) {
    if (e instanceof TlogError) return e;
    throw e;
  }
  throw new Error('expected a TlogError');
}
