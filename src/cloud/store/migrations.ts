/**
 * Numbered schema migrations, run on start for both stores. Each runs in its own transaction
 * together with the row that records it, so a migration is either wholly applied or not at all,
 * whatever moment the process dies at (both SQLite and PostgreSQL have transactional DDL). On
 * PostgreSQL an advisory lock keeps two processes starting together from racing. A store whose
 * schema is newer than this code is refused rather than used.
 */
import { LOCK_MIGRATIONS, lockTransaction, StoreError, type Dialect, type Store } from './store.js';

export interface Migration {
  id: number;
  name: string;
  /** Statements, or per-dialect statements where the two differ. */
  up: readonly string[] | Readonly<Record<Dialect, readonly string[]>>;
}

const GENESIS = '0'.repeat(64);

export const MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: 'accounts, tokens, policy rules, audit log',
    up: [
      `CREATE TABLE tenants (
         id TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL CHECK (kind IN ('vendor', 'customer')),
         country TEXT, created_at TEXT NOT NULL)`,
      `CREATE TABLE users (
         id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(id), name TEXT NOT NULL,
         role TEXT NOT NULL CHECK (role IN ('operator', 'customer-admin', 'auditor')),
         created_at TEXT NOT NULL, disabled_at TEXT)`,
      `CREATE INDEX users_tenant ON users (tenant_id)`,
      `CREATE TABLE endpoints (
         id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(id), name TEXT NOT NULL,
         country TEXT, created_at TEXT NOT NULL, disabled_at TEXT)`,
      `CREATE INDEX endpoints_tenant ON endpoints (tenant_id)`,
      `CREATE TABLE tokens (
         id TEXT PRIMARY KEY, secret_hash TEXT NOT NULL, tenant_id TEXT NOT NULL REFERENCES tenants(id),
         role TEXT NOT NULL, user_id TEXT REFERENCES users(id), endpoint_id TEXT REFERENCES endpoints(id),
         label TEXT NOT NULL, created_at TEXT NOT NULL, created_by TEXT, expires_at TEXT, revoked_at TEXT)`,
      `CREATE INDEX tokens_tenant ON tokens (tenant_id)`,
      `CREATE TABLE policy_rules (
         id TEXT PRIMARY KEY, current_version INTEGER NOT NULL, created_at TEXT NOT NULL, retired_at TEXT)`,
      `CREATE TABLE policy_rule_versions (
         rule_id TEXT NOT NULL REFERENCES policy_rules(id), version INTEGER NOT NULL,
         change TEXT NOT NULL CHECK (change IN ('create', 'update', 'retire')),
         body TEXT NOT NULL, changed_by TEXT, changed_at TEXT NOT NULL, PRIMARY KEY (rule_id, version))`,
      `CREATE TABLE policy_state (id INTEGER PRIMARY KEY CHECK (id = 1), revision INTEGER NOT NULL)`,
      `INSERT INTO policy_state (id, revision) VALUES (1, 0)`,
      `CREATE TABLE audit_log (
         seq BIGINT PRIMARY KEY, at TEXT NOT NULL, kind TEXT NOT NULL, actor TEXT, tenant_id TEXT,
         data TEXT NOT NULL, prev TEXT NOT NULL, hash TEXT NOT NULL)`,
      `CREATE INDEX audit_log_tenant ON audit_log (tenant_id, seq)`,
      `CREATE TABLE audit_head (id INTEGER PRIMARY KEY CHECK (id = 1), seq BIGINT NOT NULL, hash TEXT NOT NULL)`,
      `INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '${GENESIS}')`,
    ],
  },
  {
    id: 2,
    name: 'CIDR-to-country table',
    // Keys are fixed-width lowercase hex compared as text: byte order is required, whatever the
    // database's locale ("C" collation on PostgreSQL; SQLite compares bytes already).
    up: {
      sqlite: [`CREATE TABLE geo_ranges (start_key TEXT PRIMARY KEY, end_key TEXT NOT NULL, country TEXT NOT NULL)`],
      postgres: [`CREATE TABLE geo_ranges (start_key TEXT COLLATE "C" PRIMARY KEY, end_key TEXT COLLATE "C" NOT NULL, country TEXT NOT NULL)`],
    },
  },
  {
    id: 3,
    name: 'licensing: products, plans, orders, licenses, activations, transfers',
    up: [
      `CREATE TABLE products (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL)`,
      `CREATE TABLE plans (
         id TEXT PRIMARY KEY, product_id TEXT NOT NULL REFERENCES products(id), name TEXT NOT NULL,
         duration_days INTEGER NOT NULL, seats INTEGER NOT NULL, entitlements TEXT NOT NULL,
         grace_days INTEGER NOT NULL, created_at TEXT NOT NULL, UNIQUE (product_id, name))`,
      `CREATE TABLE licenses (
         id TEXT PRIMARY KEY, key_hash TEXT NOT NULL UNIQUE, key_hint TEXT NOT NULL,
         tenant_id TEXT NOT NULL REFERENCES tenants(id), plan_id TEXT NOT NULL REFERENCES plans(id),
         seats INTEGER NOT NULL, entitlements TEXT NOT NULL,
         status TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'revoked')),
         starts_at TEXT NOT NULL, expires_at TEXT NOT NULL, grace_days INTEGER NOT NULL,
         created_at TEXT NOT NULL, updated_at TEXT NOT NULL)`,
      `CREATE INDEX licenses_tenant ON licenses (tenant_id)`,
      `CREATE TABLE orders (
         id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(id), plan_id TEXT NOT NULL REFERENCES plans(id),
         kind TEXT NOT NULL CHECK (kind IN ('new', 'renewal')), license_id TEXT REFERENCES licenses(id),
         created_at TEXT NOT NULL, created_by TEXT NOT NULL)`,
      `CREATE TABLE activations (
         id TEXT PRIMARY KEY, license_id TEXT NOT NULL REFERENCES licenses(id), fingerprint TEXT NOT NULL,
         machine_name TEXT NOT NULL, secret_hash TEXT NOT NULL, activated_at TEXT NOT NULL,
         last_checkin_at TEXT NOT NULL, deactivated_at TEXT, ended_by TEXT)`,
      `CREATE UNIQUE INDEX activations_one_seat_per_machine ON activations (license_id, fingerprint) WHERE deactivated_at IS NULL`,
      `CREATE INDEX activations_license ON activations (license_id, activated_at)`,
      `CREATE TABLE license_transfers (
         id TEXT PRIMARY KEY, license_id TEXT NOT NULL REFERENCES licenses(id), from_tenant TEXT NOT NULL,
         to_tenant TEXT NOT NULL, at TEXT NOT NULL, by_actor TEXT NOT NULL)`,
    ],
  },
  {
    id: 4,
    name: 'security network: consents, batches, events, per-hash aggregates, operator verdicts',
    // Endpoints appear only as pseudonyms (an HMAC of the activation id); no address, path or name
    // is stored. Hashes and buckets are lowercase hex compared as text: byte order ("C" collation on
    // PostgreSQL). `bucket` is the first 4 bytes of the hash, so a look-up is one indexed query of one
    // table: the operator's verdict is copied into `network_hashes.operator_verdict` (its reason and
    // author stay in `network_operator_verdicts`), so no plan can join the whole verdict list.
    up: {
      sqlite: [
        `CREATE TABLE network_consents (
           seq INTEGER PRIMARY KEY AUTOINCREMENT, endpoint TEXT NOT NULL, enabled INTEGER NOT NULL,
           categories TEXT NOT NULL, recorded_at TEXT NOT NULL)`,
        `CREATE INDEX network_consents_endpoint ON network_consents (endpoint, seq)`,
        `CREATE TABLE network_batches (
           endpoint TEXT NOT NULL, batch_id TEXT NOT NULL, digest TEXT NOT NULL, events INTEGER NOT NULL,
           received_at TEXT NOT NULL, country TEXT, PRIMARY KEY (endpoint, batch_id))`,
        `CREATE INDEX network_batches_country ON network_batches (country)`,
        `CREATE TABLE network_events (
           id INTEGER PRIMARY KEY AUTOINCREMENT, endpoint TEXT NOT NULL, batch_id TEXT NOT NULL,
           kind TEXT NOT NULL CHECK (kind IN ('detection', 'unknown-executable')), sha256 TEXT NOT NULL,
           size INTEGER NOT NULL, file_type TEXT NOT NULL, detection TEXT, engine TEXT NOT NULL, db_release TEXT NOT NULL,
           seen_at TEXT NOT NULL, received_at TEXT NOT NULL, country TEXT)`,
        `CREATE INDEX network_events_sha256 ON network_events (sha256)`,
        `CREATE INDEX network_events_country ON network_events (country, id)`,
        `CREATE TABLE network_hashes (
           sha256 TEXT PRIMARY KEY, bucket TEXT NOT NULL, endpoints INTEGER NOT NULL, detecting_endpoints INTEGER NOT NULL,
           reports INTEGER NOT NULL, first_seen TEXT, last_seen TEXT, countries TEXT NOT NULL, detection_names TEXT NOT NULL,
           operator_verdict TEXT CHECK (operator_verdict IN ('malicious', 'clean')))`,
        `CREATE INDEX network_hashes_bucket ON network_hashes (bucket)`,
        `CREATE TABLE network_hash_endpoints (
           sha256 TEXT NOT NULL, endpoint TEXT NOT NULL, detected INTEGER NOT NULL, PRIMARY KEY (sha256, endpoint))`,
        `CREATE TABLE network_operator_verdicts (
           sha256 TEXT PRIMARY KEY, verdict TEXT NOT NULL CHECK (verdict IN ('malicious', 'clean')),
           reason TEXT NOT NULL, set_by TEXT NOT NULL, set_at TEXT NOT NULL)`,
      ],
      postgres: [
        `CREATE TABLE network_consents (
           seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, endpoint TEXT NOT NULL, enabled INTEGER NOT NULL,
           categories TEXT NOT NULL, recorded_at TEXT NOT NULL)`,
        `CREATE INDEX network_consents_endpoint ON network_consents (endpoint, seq)`,
        `CREATE TABLE network_batches (
           endpoint TEXT NOT NULL, batch_id TEXT NOT NULL, digest TEXT NOT NULL, events INTEGER NOT NULL,
           received_at TEXT NOT NULL, country TEXT, PRIMARY KEY (endpoint, batch_id))`,
        `CREATE INDEX network_batches_country ON network_batches (country)`,
        `CREATE TABLE network_events (
           id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, endpoint TEXT NOT NULL, batch_id TEXT NOT NULL,
           kind TEXT NOT NULL CHECK (kind IN ('detection', 'unknown-executable')), sha256 TEXT COLLATE "C" NOT NULL,
           size BIGINT NOT NULL, file_type TEXT NOT NULL, detection TEXT, engine TEXT NOT NULL, db_release TEXT NOT NULL,
           seen_at TEXT NOT NULL, received_at TEXT NOT NULL, country TEXT)`,
        `CREATE INDEX network_events_sha256 ON network_events (sha256)`,
        `CREATE INDEX network_events_country ON network_events (country, id)`,
        `CREATE TABLE network_hashes (
           sha256 TEXT COLLATE "C" PRIMARY KEY, bucket TEXT COLLATE "C" NOT NULL, endpoints INTEGER NOT NULL,
           detecting_endpoints INTEGER NOT NULL, reports BIGINT NOT NULL, first_seen TEXT, last_seen TEXT,
           countries TEXT NOT NULL, detection_names TEXT NOT NULL, operator_verdict TEXT CHECK (operator_verdict IN ('malicious', 'clean')))`,
        `CREATE INDEX network_hashes_bucket ON network_hashes (bucket)`,
        `CREATE TABLE network_hash_endpoints (
           sha256 TEXT COLLATE "C" NOT NULL, endpoint TEXT NOT NULL, detected INTEGER NOT NULL, PRIMARY KEY (sha256, endpoint))`,
        `CREATE TABLE network_operator_verdicts (
           sha256 TEXT COLLATE "C" PRIMARY KEY, verdict TEXT NOT NULL CHECK (verdict IN ('malicious', 'clean')),
           reason TEXT NOT NULL, set_by TEXT NOT NULL, set_at TEXT NOT NULL)`,
      ],
    },
  },
  {
    id: 5,
    name: 'signature updates: releases, TUF metadata, targets, update keys, transparency log',
    // Bytes (images, deltas, tiles) are base64 text, as the stores hold text, integers and null only.
    // `update_tlog` holds the log's C2SP resources by path; `update_log_entries` says what each leaf is.
    up: [
      `CREATE TABLE update_state (id INTEGER PRIMARY KEY CHECK (id = 1), origin TEXT NOT NULL, created_at TEXT NOT NULL)`,
      `CREATE TABLE update_blobs (sha256 TEXT PRIMARY KEY, length BIGINT NOT NULL, data TEXT NOT NULL)`,
      `CREATE TABLE update_releases (
         number INTEGER PRIMARY KEY, image_sha256 TEXT NOT NULL, image_length BIGINT NOT NULL,
         targets_version INTEGER NOT NULL, log_index BIGINT NOT NULL, deltas TEXT NOT NULL,
         created_at TEXT NOT NULL, created_by TEXT NOT NULL)`,
      `CREATE TABLE update_targets (
         name TEXT PRIMARY KEY, sha256 TEXT NOT NULL, length BIGINT NOT NULL,
         kind TEXT NOT NULL CHECK (kind IN ('image', 'delta')), release INTEGER NOT NULL, base_release INTEGER)`,
      `CREATE TABLE update_metadata (
         role TEXT NOT NULL CHECK (role IN ('root', 'targets', 'snapshot', 'timestamp')), version INTEGER NOT NULL,
         data TEXT NOT NULL, created_at TEXT NOT NULL, PRIMARY KEY (role, version))`,
      `CREATE TABLE update_keys (
         key_id TEXT PRIMARY KEY, role TEXT NOT NULL CHECK (role IN ('root', 'targets', 'snapshot', 'timestamp', 'log', 'log-clock')),
         public_key TEXT NOT NULL, created_at TEXT NOT NULL, retired_at TEXT)`,
      `CREATE TABLE update_tlog (path TEXT PRIMARY KEY, data TEXT NOT NULL)`,
      `CREATE TABLE update_log_entries (
         idx BIGINT PRIMARY KEY, kind TEXT NOT NULL CHECK (kind IN ('release', 'root')), entry TEXT NOT NULL, created_at TEXT NOT NULL)`,
    ],
  },
  {
    id: 6,
    name: 'signature updates: blobs in chunks (images past what one text value holds)',
    // blob-store.ts: a blob written from now on has `chunks` rows in update_blob_chunks and '' in data.
    up: [
      `ALTER TABLE update_blobs ADD COLUMN chunks INTEGER NOT NULL DEFAULT 0`,
      `CREATE TABLE update_blob_chunks (sha256 TEXT NOT NULL, seq INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (sha256, seq))`,
    ],
  },
  {
    id: 7,
    name: 'licence transfer offers: the receiving tenant accepts before a licence moves',
    // transfer-offers.ts. `to_tenant` has no foreign key on purpose: an offer to an id that names no
    // customer is stored like any other and simply never accepted, so the giver learns nothing.
    up: [
      `CREATE TABLE license_transfer_offers (
         id TEXT PRIMARY KEY, license_id TEXT NOT NULL REFERENCES licenses(id), from_tenant TEXT NOT NULL REFERENCES tenants(id),
         to_tenant TEXT NOT NULL, status TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'cancelled', 'declined', 'superseded')),
         created_at TEXT NOT NULL, created_by TEXT NOT NULL, expires_at TEXT NOT NULL,
         closed_at TEXT, closed_by TEXT, transfer_id TEXT)`,
      `CREATE UNIQUE INDEX license_transfer_offers_one_pending ON license_transfer_offers (license_id) WHERE status = 'pending'`,
      `CREATE INDEX license_transfer_offers_to ON license_transfer_offers (to_tenant, created_at)`,
      `CREATE INDEX license_transfer_offers_from ON license_transfer_offers (from_tenant, created_at)`,
    ],
  },
];

export async function migrate(store: Store, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  await store.transaction(async (tx) => {
    await lockTransaction(tx, LOCK_MIGRATIONS); // two processes starting together must not race
    await tx.run(`CREATE TABLE IF NOT EXISTS schema_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
  });
  const known = Math.max(0, ...migrations.map((m) => m.id));
  const newest = (await store.get<{ id: number | null }>('SELECT MAX(id) AS id FROM schema_migrations'))?.id ?? 0;
  if (newest > known) {
    throw new StoreError('STORE_VERSION', `the store's schema is at migration ${newest}, newer than this Vigil knows (${known}); upgrade Vigil`);
  }
  const applied: number[] = [];
  for (const migration of [...migrations].sort((a, b) => a.id - b.id)) {
    await store.transaction(async (tx) => {
      await lockTransaction(tx, LOCK_MIGRATIONS);
      const done = await tx.get('SELECT id FROM schema_migrations WHERE id = ?', [migration.id]);
      if (done) return;
      const statements = Array.isArray(migration.up) ? migration.up : (migration.up as Record<Dialect, readonly string[]>)[tx.dialect];
      for (const sql of statements as readonly string[]) {
        try {
          await tx.run(sql);
        } catch (e) {
          throw new StoreError('STORE_MIGRATION', `migration ${migration.id} (${migration.name}) failed: ${(e as Error).message}`, { cause: e });
        }
      }
      await tx.run('INSERT INTO schema_migrations (id, name, applied_at) VALUES (?, ?, ?)', [migration.id, migration.name, new Date().toISOString()]);
      applied.push(migration.id);
    });
  }
  return applied;
}
