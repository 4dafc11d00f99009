/**
 * An append-only transparency log over a pluggable store of static resources, laid out as C2SP
 * tlog-tiles: `checkpoint` (the signed tree head), `tile/<L>/<N>[.p/<W>]` (hashes) and
 * `tile/entries/<N>[.p/<W>]` (entries). A client needs nothing else: it verifies the checkpoint,
 * fetches tiles and computes proofs itself (tiles.ts).
 *
 * append() queues entries; publish() integrates the queued entries and signs a new checkpoint:
 * 1. per level, from 0 up: read the old partial tile (if any), add the new hashes, write every
 *    tile reached (full ones, then the new partial one); each tile that became full adds its root
 *    as a new hash of the level above. Entry bundles are written the same way at level 0;
 * 2. compute the new root from the tiles, and check with a consistency proof (from the tiles) that
 *    the new tree extends the published one, which catches tiles altered in the store;
 * 3. sign and write the checkpoint, last, so that a reader never sees a checkpoint whose tiles
 *    are not there yet.
 * Tiles and bundles are immutable (a partial tile's path names its width); only `checkpoint`
 * changes. Old partial tiles stay, so proofs against any published size keep working.
 *
 * open() resumes a log from its store: it verifies the stored checkpoint with the log's own key
 * and checks that the tiles give its root (STORAGE_CORRUPT otherwise).
 *
 * Non-goals here: several writers on one store (operations of one TransparencyLog are run one at a
 * time, but two processes would fork the log: the store must give one writer a lease, or write
 * `checkpoint` only if unchanged), pruning, witnesses and cosignatures.
 */
import { bytesEqual, toHex } from './bytes.js';
import { openCheckpoint, signCheckpoint, type SignedCheckpoint } from './checkpoint.js';
import { checkEntrySize, decodeEntryBundle, encodeEntryBundle } from './entry-bundle.js';
import { TlogError } from './errors.js';
import { checkCount, EMPTY_TREE_HASH, hashLeaf, HASH_SIZE, merkleTreeHash } from './merkle.js';
import { parseVerifierKey, type NoteSigner } from './note-keys.js';
import { verifyConsistency } from './proofs.js';
import { entryBundlePath, TILE_WIDTH, tilePath } from './tile-path.js';
import { consistencyProofFromTiles, inclusionProofFromTiles, leafHashFromTiles, levelWidth, rootFromTiles, tileHash, type TileFetcher } from './tiles.js';

/** Where the log keeps its resources: paths relative to the log's URL prefix, bytes as served. */
export interface TlogStorage {
  /** The bytes at `path`, or undefined when there are none. */
  read(path: string): Promise<Uint8Array | undefined>;
  /** Writes `data` at `path` (replacing what is there: only `checkpoint` is ever rewritten). */
  write(path: string, data: Uint8Array): Promise<void>;
}

/** A TlogStorage in memory, for tests and tools. */
export class MemoryTlogStorage implements TlogStorage {
  readonly files = new Map<string, Uint8Array>();

  async read(path: string): Promise<Uint8Array | undefined> {
    const data = this.files.get(path);
    return data === undefined ? undefined : new Uint8Array(data);
  }

  async write(path: string, data: Uint8Array): Promise<void> {
    this.files.set(path, new Uint8Array(data));
  }
}

/** The path of the signed checkpoint. */
export const CHECKPOINT_PATH = 'checkpoint';
/** Entries queued between two publish() calls, at most (beyond it append throws BAD_ARGUMENT). */
export const TLOG_MAX_PENDING_ENTRIES = 65_536;

export interface TransparencyLogOptions {
  storage: TlogStorage;
  /** The log's origin line, e.g. `updates.vigil.example/log`. */
  origin: string;
  /** The log's key; its name should be the origin. */
  signer: NoteSigner;
  /** Overrides TLOG_MAX_PENDING_ENTRIES. */
  maxPendingEntries?: number;
}

export class TransparencyLog {
  private pendingEntries: Uint8Array[] = [];
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly options: TransparencyLogOptions,
    private current: SignedCheckpoint | undefined,
  ) {}

  /** Opens the log kept in `options.storage`, or a new empty one if it holds no checkpoint. */
  static async open(options: TransparencyLogOptions): Promise<TransparencyLog> {
    const stored = await options.storage.read(CHECKPOINT_PATH);
    if (stored === undefined) return new TransparencyLog(options, undefined);
    let checkpoint: SignedCheckpoint;
    try {
      checkpoint = openCheckpoint(stored, { verifiers: [parseVerifierKey(options.signer.verifierKey)], origin: options.origin });
    } catch (e) {
      throw new TlogError('STORAGE_CORRUPT', `the stored checkpoint does not verify with this log's key and origin: ${(e as Error).message}`, {}, { cause: e });
    }
    const log = new TransparencyLog(options, checkpoint);
    const root = await rootFromTiles(checkpoint.size, log.fetchTile).catch((e: unknown) => {
      throw new TlogError('STORAGE_CORRUPT', `the stored tiles cannot give the root of size ${checkpoint.size}: ${(e as Error).message}`, {}, { cause: e });
    });
    if (!bytesEqual(root, checkpoint.rootHash)) throw new TlogError('STORAGE_CORRUPT', `the stored tiles give root ${toHex(root)}, the checkpoint says ${toHex(checkpoint.rootHash)}`);
    return log;
  }

  /** The size of the last published checkpoint. */
  get size(): number {
    return this.current?.size ?? 0;
  }

  /** Entries appended and not yet published. */
  get pending(): number {
    return this.pendingEntries.length;
  }

  /** The last published checkpoint, or undefined before the first publish(). */
  get checkpoint(): SignedCheckpoint | undefined {
    return this.current;
  }

  /** Reads a tile from the store: a TileFetcher for the tile proof functions. */
  readonly fetchTile: TileFetcher = (_tile, path) => this.options.storage.read(path);

  /** Queues an entry (up to 65,535 bytes); returns the index it will have once published. */
  append(entry: Uint8Array): number {
    checkEntrySize(entry);
    const max = this.options.maxPendingEntries ?? TLOG_MAX_PENDING_ENTRIES;
    if (this.pendingEntries.length >= max) throw new TlogError('BAD_ARGUMENT', `${max} entries are waiting: publish before appending more`);
    this.pendingEntries.push(new Uint8Array(entry));
    return this.size + this.pendingEntries.length - 1;
  }

  /** Integrates the queued entries into tiles and bundles, then signs and writes a checkpoint. */
  publish(): Promise<SignedCheckpoint> {
    return this.serially(async () => {
      const entries = this.pendingEntries;
      this.pendingEntries = [];
      try {
        return await this.integrate(entries);
      } catch (e) {
        this.pendingEntries = [...entries, ...this.pendingEntries];
        throw e;
      }
    });
  }

  /** RFC 9162 inclusion proof of entry `index` in the tree of `size` (the published size by default). */
  inclusionProof(index: number, size = this.size): Promise<Uint8Array[]> {
    this.checkPublished(size);
    return inclusionProofFromTiles(index, size, this.fetchTile);
  }

  /** RFC 9162 consistency proof from `size1` to `size2` (the published size by default). */
  consistencyProof(size1: number, size2 = this.size): Promise<Uint8Array[]> {
    this.checkPublished(size2);
    return consistencyProofFromTiles(size1, size2, this.fetchTile);
  }

  /** The leaf hash of published entry `index`. */
  leafHash(index: number): Promise<Uint8Array> {
    return leafHashFromTiles(index, this.size, this.fetchTile);
  }

  /** Published entry `index`, from its entry bundle. */
  async readEntry(index: number): Promise<Uint8Array> {
    checkCount(index, 'entry index');
    if (index >= this.size) throw new TlogError('INDEX_OUT_OF_RANGE', `entry ${index} is not below the published size ${this.size}`);
    const bundle = Math.floor(index / TILE_WIDTH);
    const width = Math.min(TILE_WIDTH, this.size - bundle * TILE_WIDTH);
    const entries = await this.readBundle(bundle, width);
    return entries[index - bundle * TILE_WIDTH]!;
  }

  private checkPublished(size: number): void {
    checkCount(size, 'tree size');
    if (size > this.size) throw new TlogError('BAD_ARGUMENT', `tree size ${size} is past the published size ${this.size}`);
  }

  private serially<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async integrate(entries: Uint8Array[]): Promise<SignedCheckpoint> {
    const { storage } = this.options;
    const oldSize = this.size;
    const size = oldSize + entries.length;
    const written = new Map<string, Uint8Array>();
    const write = async (path: string, data: Uint8Array): Promise<void> => {
      written.set(path, data);
      await storage.write(path, data);
    };
    // Entry bundles: complete the old partial bundle, then the new ones.
    let bundleEntries = entries;
    let bundle = Math.floor(oldSize / TILE_WIDTH);
    if (oldSize % TILE_WIDTH !== 0 && entries.length > 0) bundleEntries = [...(await this.readBundle(bundle, oldSize % TILE_WIDTH)), ...entries];
    for (let at = 0; at < bundleEntries.length; at += TILE_WIDTH, bundle++) {
      const chunk = bundleEntries.slice(at, at + TILE_WIDTH);
      await write(entryBundlePath(bundle, chunk.length), encodeEntryBundle(chunk));
    }
    // Tiles, level by level: `added` holds the hashes new at this level.
    let added = entries.map(hashLeaf);
    for (let level = 0; added.length > 0; level++) {
      const before = levelWidth(level, oldSize);
      if (before + added.length !== levelWidth(level, size)) throw new Error(`tlog: level ${level} would hold ${before + added.length} hashes, not ${levelWidth(level, size)}`);
      let tileIndex = Math.floor(before / TILE_WIDTH);
      let hashes = added;
      if (before % TILE_WIDTH !== 0) hashes = [...(await this.readTileHashes(level, tileIndex, before % TILE_WIDTH)), ...added];
      const above: Uint8Array[] = [];
      for (let at = 0; at < hashes.length; at += TILE_WIDTH, tileIndex++) {
        const chunk = hashes.slice(at, at + TILE_WIDTH);
        const data = new Uint8Array(chunk.length * HASH_SIZE);
        chunk.forEach((h, i) => data.set(h, i * HASH_SIZE));
        await write(tilePath({ level, index: tileIndex, width: chunk.length }), data);
        if (chunk.length === TILE_WIDTH) above.push(merkleTreeHash(chunk));
      }
      added = above;
    }
    const fetchNew: TileFetcher = async (_tile, path) => written.get(path) ?? (await storage.read(path));
    const rootHash = size === 0 ? EMPTY_TREE_HASH : await rootFromTiles(size, fetchNew);
    // The new tree must extend the published one: catches old tiles altered in the store.
    if (this.current !== undefined && oldSize > 0) {
      try {
        verifyConsistency(oldSize, size, await consistencyProofFromTiles(oldSize, size, fetchNew), this.current.rootHash, rootHash);
      } catch (e) {
        throw new TlogError('STORAGE_CORRUPT', `the new tree does not extend the published one: ${(e as Error).message}`, {}, { cause: e });
      }
    }
    const note = signCheckpoint({ origin: this.options.origin, size, rootHash }, this.options.signer);
    await storage.write(CHECKPOINT_PATH, Buffer.from(note, 'utf8'));
    this.current = { origin: this.options.origin, size, rootHash, note, signedBy: [this.options.signer.name] };
    return this.current;
  }

  private async readBundle(index: number, width: number): Promise<Uint8Array[]> {
    const path = entryBundlePath(index, width);
    const data = await this.options.storage.read(path);
    if (data === undefined) throw new TlogError('STORAGE_CORRUPT', `entry bundle ${path} is missing from the store`);
    try {
      return decodeEntryBundle(data, width);
    } catch (e) {
      throw new TlogError('STORAGE_CORRUPT', `entry bundle ${path}: ${(e as Error).message}`, {}, { cause: e });
    }
  }

  private async readTileHashes(level: number, index: number, width: number): Promise<Uint8Array[]> {
    const path = tilePath({ level, index, width });
    const data = await this.options.storage.read(path);
    if (data?.length !== width * HASH_SIZE) throw new TlogError('STORAGE_CORRUPT', `tile ${path} is ${data === undefined ? 'missing from the store' : `${data.length} bytes, not ${width * HASH_SIZE}`}`);
    return Array.from({ length: width }, (_, i) => tileHash(data, i));
  }
}
