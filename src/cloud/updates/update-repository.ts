/**
 * The update repository's operations: publish a release, rotate a role's keys, refresh the
 * timestamp. Each runs in one store transaction holding the update lock (a PostgreSQL advisory
 * lock; SQLite's write transactions are exclusive), so releases are numbered without gaps or
 * duplicates, metadata versions follow each other, and the log has one writer. Whatever fails,
 * nothing of the operation is kept (key files made for a failed rotation stay unused).
 *
 * A publication (release n):
 * 1. the image becomes target `vigil-<n>.vigildb`; deltas from the previous `keepDeltas` images
 *    become targets `vigil-<k>-to-<n>.vigildelta`;
 * 2. targets.json lists every image and the deltas to the newest; snapshot and timestamp follow
 *    (TUF 4.4 to 4.6), each signed by its role's keys and checked against the root;
 * 3. the leaf {kind: release, release, image {sha256, length}, targets_version} goes into the
 *    transparency log, which signs a new checkpoint; the log's clock cosigns it with the time.
 * A rotation writes root version v+1 with the role's new keys, signed by the threshold of the old
 * root and of the new one (TUF 5.3.4), logs it, and re-signs targets, snapshot and timestamp.
 */
import type { Root } from '@tufjs/models';
import { createImageDelta, Database } from '../../engine/index.js';
import { clockKeyName, createNoteSigner, deltaTargetName, formatClockVerifierKey, formatVerifierKey, imageTargetName, releaseTargetCustom } from '../../protocol/index.js';
import { appendAudit } from '../audit/index.js';
import { lockTransaction, type Queryable, type Store } from '../store/index.js';
import { getBlob, putBlob, sha256Hex } from './blob-store.js';
import type { KeyVault, VaultKey } from './key-vault.js';
import { buildRoot, buildSnapshot, buildTargets, buildTimestamp, expiresAfter, roleKeysOf, rootLogInfo, signDocument, type RoleKeys, type SignedDocument, type TargetEntry } from './tuf-metadata.js';
import { resolveUpdateConfig, TUF_ROLES, type TufRole, type UpdateConfig } from './update-config.js';
import { UpdateError } from './update-error.js';
import { appendLogEntry, insertKey, insertMetadata, openLog, publishLog, readCurrent, readOrigin, retireKeys, toRelease, type CurrentMetadata, type Release, type ReleaseRow } from './update-state.js';

/** Advisory lock key of the update repository (see store.ts for the others). */
export const LOCK_UPDATES = 7_315_010;

export interface UpdateRepositoryOptions {
  store: Store;
  vault: KeyVault;
  config?: Partial<UpdateConfig>;
  now?: () => Date;
}

export interface PublishResult {
  release: Release;
  /** The checkpoint signed after the release's leaf went in. */
  checkpoint: string;
}

export class UpdateRepository {
  readonly config: UpdateConfig;
  private readonly now: () => Date;

  constructor(private readonly options: UpdateRepositoryOptions) {
    this.config = resolveUpdateConfig(options.config);
    this.now = options.now ?? (() => new Date());
  }

  /** Publishes a compiled image as the next release (creating the repository on the first). */
  async publish(image: Uint8Array, actor: string): Promise<PublishResult> {
    if (image.length > this.config.maxImageBytes) throw new UpdateError('BAD_ARGUMENT', `the image is ${image.length} bytes, more than the ${this.config.maxImageBytes} allowed`);
    try {
      new Database(image, 'release image');
    } catch (e) {
      throw new UpdateError('BAD_SOURCES', `not a compiled database image: ${(e as Error).message}`, { cause: e });
    }
    return this.locked(async (tx, now) => {
      if ((await readOrigin(tx)) === undefined) await this.initialise(tx, now);
      const current = await readCurrent(tx);
      const last = await tx.get<{ n: number | null }>('SELECT MAX(number) AS n FROM update_releases');
      const number = (last?.n ?? 0) + 1;
      const imageSha = await putBlob(tx, image);
      await this.addTarget(tx, { name: imageTargetName(number), sha256: imageSha, length: image.length }, 'image', number, null);
      const deltas: Release['deltas'] = [];
      const bases = await tx.all<{ number: number; image_sha256: string }>('SELECT number, image_sha256 FROM update_releases WHERE number >= ? ORDER BY number', [number - this.config.keepDeltas]);
      for (const base of bases) {
        const baseImage = await getBlob(tx, base.image_sha256);
        if (!baseImage) throw new UpdateError('STORE_CORRUPT', `the image of release ${base.number} is missing from the store`);
        const delta = createImageDelta(baseImage, image, this.config.deltaBlockBytes);
        const entry = { name: deltaTargetName(base.number, number), sha256: await putBlob(tx, delta), length: delta.length };
        await this.addTarget(tx, entry, 'delta', number, base.number);
        deltas.push({ from: base.number, ...entry });
      }
      const targetsVersion = current.targets.metadata.signed.version + 1;
      await this.resign(tx, current, now, { targets: true });
      const log = await openLog(tx, this.options.vault);
      const logIndex = await appendLogEntry(tx, log, { kind: 'release', release: number, image: { sha256: imageSha, length: image.length }, targets_version: targetsVersion }, now);
      const checkpoint = await publishLog(tx, log, this.options.vault, now);
      const row: ReleaseRow = { number, image_sha256: imageSha, image_length: image.length, targets_version: targetsVersion, log_index: logIndex, deltas: JSON.stringify(deltas), created_at: now.toISOString(), created_by: actor };
      await tx.run('INSERT INTO update_releases (number, image_sha256, image_length, targets_version, log_index, deltas, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [row.number, row.image_sha256, row.image_length, row.targets_version, row.log_index, row.deltas, row.created_at, row.created_by]);
      await appendAudit(tx, { kind: 'updates.release.publish', actor, tenant: null, data: { release: number, image_sha256: imageSha, image_length: image.length, targets_version: targetsVersion, log_index: logIndex, tree_size: checkpoint.size } }, now);
      return { release: toRelease(row), checkpoint: checkpoint.note };
    });
  }

  /**
   * Replaces the keys of `role` with new ones: root version v+1 signed by the old and the new root
   * keys (TUF 5.3.4: both thresholds), logged; then targets, snapshot and timestamp re-signed.
   */
  async rotate(role: TufRole, actor: string): Promise<{ rootVersion: number; keyIds: string[] }> {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-conversion -- a caller from plain JavaScript or parsed input may pass a non-string here; the check and its message must not throw on it
    if (!TUF_ROLES.includes(role)) throw new UpdateError('BAD_ARGUMENT', `no role ${String(role)}: one of ${TUF_ROLES.join(', ')}`);
    return this.locked(async (tx, now) => {
      const current = await readCurrent(tx);
      const old = roleKeysOf(current.root.metadata.signed);
      const fresh = Array.from({ length: role === 'root' ? this.config.rootKeys : 1 }, () => this.options.vault.generate());
      for (const key of fresh) await insertKey(tx, role, key.keyId, key.publicHex, now);
      const keys: RoleKeys = { keys: { ...old.keys, [role]: fresh.map((k) => k.publicHex) }, thresholds: { ...old.thresholds, [role]: role === 'root' ? this.config.rootThreshold : 1 } };
      const oldIds = current.root.metadata.signed.roles[role]?.keyIDs ?? [];
      const root = await this.writeRoot(tx, current, keys, now);
      await retireKeys(tx, oldIds, now);
      await this.resign(tx, { ...current, root }, now, { targets: true });
      const keyIds = fresh.map((k) => k.keyId);
      await appendAudit(tx, { kind: 'updates.keys.rotate', actor, tenant: null, data: { role, root_version: root.metadata.signed.version, key_ids: keyIds, retired: oldIds } }, now);
      return { rootVersion: root.metadata.signed.version, keyIds };
    });
  }

  /**
   * Signs a new timestamp (freshness: TUF 5.4), and renews the other roles whose metadata would
   * expire before two timestamp lifetimes have passed (a root renewed this way is logged too).
   */
  async refreshTimestamp(actor: string): Promise<{ timestampVersion: number; expires: string; renewed: TufRole[] }> {
    return this.locked(async (tx, now) => {
      let current = await readCurrent(tx);
      const horizon = new Date(now.getTime() + 2 * this.config.expiryDays.timestamp * 86_400_000);
      const expiring = (role: TufRole) => new Date(current[role].metadata.signed.expires) <= horizon;
      const renewed: TufRole[] = [];
      if (expiring('root')) {
        current = { ...current, root: await this.writeRoot(tx, current, roleKeysOf(current.root.metadata.signed), now) };
        renewed.push('root');
      }
      const targets = expiring('targets');
      const snapshot = targets || expiring('snapshot');
      if (targets) renewed.push('targets');
      if (snapshot) renewed.push('snapshot');
      const timestamp = await this.resign(tx, current, now, { targets, snapshot });
      renewed.push('timestamp');
      await appendAudit(tx, { kind: 'updates.timestamp.refresh', actor, tenant: null, data: { timestamp_version: timestamp.metadata.signed.version, renewed } }, now);
      return { timestampVersion: timestamp.metadata.signed.version, expires: timestamp.metadata.signed.expires, renewed };
    });
  }

  private async locked<T>(work: (tx: Queryable, now: Date) => Promise<T>): Promise<T> {
    return this.options.store.transaction(async (tx) => {
      await lockTransaction(tx, LOCK_UPDATES);
      return work(tx, this.now());
    });
  }

  /** First use: keys for every role and the log, root 1, empty targets, snapshot and timestamp. */
  private async initialise(tx: Queryable, now: Date): Promise<void> {
    const { vault } = this.options;
    const made: Record<TufRole, VaultKey[]> = {
      root: Array.from({ length: this.config.rootKeys }, () => vault.generate()),
      targets: [vault.generate()],
      snapshot: [vault.generate()],
      timestamp: [vault.generate()],
    };
    for (const role of TUF_ROLES) for (const key of made[role]) await insertKey(tx, role, key.keyId, key.publicHex, now);
    const logKey = vault.generate();
    const clockKey = vault.generate();
    const logInfo = { origin: this.config.logOrigin, key: formatVerifierKey(this.config.logOrigin, logKey.privateKey), clock: formatClockVerifierKey(clockKeyName(this.config.logOrigin), clockKey.privateKey) };
    await insertKey(tx, 'log', logKey.keyId, logInfo.key, now);
    await insertKey(tx, 'log-clock', clockKey.keyId, logInfo.clock, now);
    createNoteSigner(this.config.logOrigin, logKey.privateKey); // refuses an origin that cannot name a key
    await tx.run('INSERT INTO update_state (id, origin, created_at) VALUES (1, ?, ?)', [this.config.logOrigin, now.toISOString()]);
    const keys: RoleKeys = { keys: { root: made.root.map((k) => k.publicHex), targets: [made.targets[0]!.publicHex], snapshot: [made.snapshot[0]!.publicHex], timestamp: [made.timestamp[0]!.publicHex] }, thresholds: { root: this.config.rootThreshold, targets: 1, snapshot: 1, timestamp: 1 } };
    const root = signDocument(buildRoot(1, keys, expiresAfter(now, this.config.expiryDays.root), logInfo), 'root', made.root, []);
    root.metadata.verifyDelegate('root', root.metadata);
    await insertMetadata(tx, 'root', root, now);
    const log = await openLog(tx, vault);
    await appendLogEntry(tx, log, rootEntry(root), now);
    const targets = signDocument(buildTargets(1, [], expiresAfter(now, this.config.expiryDays.targets)), 'targets', made.targets, [root.metadata]);
    const snapshot = signDocument(buildSnapshot(1, 1, expiresAfter(now, this.config.expiryDays.snapshot)), 'snapshot', made.snapshot, [root.metadata]);
    const timestamp = signDocument(buildTimestamp(1, snapshot, expiresAfter(now, this.config.expiryDays.timestamp)), 'timestamp', made.timestamp, [root.metadata]);
    for (const [role, doc] of [['targets', targets], ['snapshot', snapshot], ['timestamp', timestamp]] as const) await insertMetadata(tx, role, doc, now);
    await publishLog(tx, log, vault, now);
  }

  /** Root v+1 with `keys`, signed by the old root's keys and the new root's, and its leaf in the log. */
  private async writeRoot(tx: Queryable, current: CurrentMetadata, keys: RoleKeys, now: Date): Promise<SignedDocument<Root>> {
    const oldRoot = current.root.metadata;
    const next = buildRoot(oldRoot.signed.version + 1, keys, expiresAfter(now, this.config.expiryDays.root), rootLogInfo(oldRoot.signed));
    const signers = new Map<string, VaultKey>();
    for (const id of [...(oldRoot.signed.roles.root?.keyIDs ?? []), ...(next.signed.roles.root?.keyIDs ?? [])]) {
      if (!signers.has(id) && this.options.vault.has(id)) signers.set(id, this.options.vault.load(id));
    }
    const doc = signDocument(next, 'root', [...signers.values()], [oldRoot]);
    doc.metadata.verifyDelegate('root', doc.metadata);
    await insertMetadata(tx, 'root', doc, now);
    const log = await openLog(tx, this.options.vault);
    await appendLogEntry(tx, log, rootEntry(doc), now);
    await publishLog(tx, log, this.options.vault, now);
    return doc;
  }

  /** Re-signs targets (with the current target list) and snapshot when asked, and always the timestamp. */
  private async resign(tx: Queryable, current: CurrentMetadata, now: Date, renew: { targets?: boolean; snapshot?: boolean }) {
    const root = current.root.metadata;
    const keysOf = (role: TufRole) => this.roleSigners(root.signed, role);
    let snapshot = current.snapshot;
    if (renew.targets) {
      const rows = await tx.all<{ name: string; sha256: string; length: number; kind: string; release: number; base_release: number | null }>(
        "SELECT name, sha256, length, kind, release, base_release FROM update_targets WHERE kind = 'image' OR release = (SELECT MAX(release) FROM update_targets) ORDER BY release, name",
      );
      const entries: TargetEntry[] = rows.map((r) => ({ name: r.name, sha256: r.sha256, length: r.length, custom: releaseTargetCustom(r.kind === 'image' ? { kind: 'image', release: r.release } : { kind: 'delta', release: r.release, from: r.base_release! }) }));
      const targets = signDocument(buildTargets(current.targets.metadata.signed.version + 1, entries, expiresAfter(now, this.config.expiryDays.targets)), 'targets', keysOf('targets'), [root]);
      await insertMetadata(tx, 'targets', targets, now);
      snapshot = signDocument(buildSnapshot(snapshot.metadata.signed.version + 1, targets.metadata.signed.version, expiresAfter(now, this.config.expiryDays.snapshot)), 'snapshot', keysOf('snapshot'), [root]);
      await insertMetadata(tx, 'snapshot', snapshot, now);
    } else if (renew.snapshot) {
      snapshot = signDocument(buildSnapshot(snapshot.metadata.signed.version + 1, current.targets.metadata.signed.version, expiresAfter(now, this.config.expiryDays.snapshot)), 'snapshot', keysOf('snapshot'), [root]);
      await insertMetadata(tx, 'snapshot', snapshot, now);
    }
    const timestamp = signDocument(buildTimestamp(current.timestamp.metadata.signed.version + 1, snapshot, expiresAfter(now, this.config.expiryDays.timestamp)), 'timestamp', keysOf('timestamp'), [root]);
    await insertMetadata(tx, 'timestamp', timestamp, now);
    return timestamp;
  }

  private roleSigners(root: Root, role: TufRole): VaultKey[] {
    return (root.roles[role]?.keyIDs ?? []).filter((id) => this.options.vault.has(id)).map((id) => this.options.vault.load(id));
  }

  private async addTarget(tx: Queryable, target: { name: string; sha256: string; length: number }, kind: 'image' | 'delta', release: number, base: number | null): Promise<void> {
    await tx.run('INSERT INTO update_targets (name, sha256, length, kind, release, base_release) VALUES (?, ?, ?, ?, ?, ?)', [target.name, target.sha256, target.length, kind, release, base]);
  }
}

function rootEntry(doc: SignedDocument<Root>) {
  const bytes = Buffer.from(doc.text, 'utf8');
  return { kind: 'root' as const, version: doc.metadata.signed.version, sha256: sha256Hex(bytes), length: bytes.length };
}
