/**
 * What the network knows per hash, kept up to date as batches arrive: prevalence (distinct
 * endpoints that reported it), how many of them reported a detection, reports, first and last seen,
 * countries and detection names. Stored events are the source of truth; the aggregates are derived.
 *
 * Ingest updates them incrementally (a handful of statements per batch on PostgreSQL, whatever its
 * size; prepared single-row statements on SQLite, see bulk-sql.ts);
 * deleting a jurisdiction's events recomputes the hashes it touched from the events that remain.
 * Both give the same numbers, which the tests check.
 *
 * Times: "seen" is the endpoint's `seen_at`, but never later than when the cloud received it, so a
 * machine whose clock runs ahead cannot move a hash's last-seen into the future.
 *
 * Concurrency (PostgreSQL): a batch locks its hashes' rows in hash order before reading them, so
 * two batches touching the same hashes wait for each other instead of losing an update, and cannot
 * deadlock; whoever also appends to the audit log takes the audit head first.
 */
import { forUpdate, type Queryable } from '../store/index.js';
import { forEachRow, hexListParam, inHexList, type Row } from './bulk-sql.js';
import type { NetworkEvent } from './event-schema.js';

/** Detection names kept per hash (the first ones reported). */
export const MAX_NAMES_PER_HASH = 20;
const CHUNK = 500;

export interface HashRow {
  sha256: string;
  endpoints: number;
  detecting_endpoints: number;
  reports: number;
  first_seen: string | null;
  last_seen: string | null;
  countries: string;
  detection_names: string;
}

interface HashDelta {
  sha256: string;
  reports: number;
  detected: boolean;
  names: string[];
  first: string;
  last: string;
}

const minIso = (a: string | null, b: string) => (a === null || b < a ? b : a);
const maxIso = (a: string | null, b: string) => (a === null || b > a ? b : a);

function summarize(events: readonly NetworkEvent[], receivedAt: string): HashDelta[] {
  const byHash = new Map<string, HashDelta>();
  for (const e of events) {
    const seen = e.seen_at < receivedAt ? e.seen_at : receivedAt;
    let d = byHash.get(e.sha256);
    if (!d) byHash.set(e.sha256, (d = { sha256: e.sha256, reports: 0, detected: false, names: [], first: seen, last: seen }));
    d.reports++;
    d.first = minIso(d.first, seen);
    d.last = maxIso(d.last, seen);
    if (e.kind === 'detection') {
      d.detected = true;
      if (!d.names.includes(e.detection)) d.names.push(e.detection);
    }
  }
  return [...byHash.values()].sort((a, b) => (a.sha256 < b.sha256 ? -1 : 1));
}

function mergeNames(known: string[], more: readonly string[]): string[] {
  const out = [...known];
  for (const name of more) if (out.length < MAX_NAMES_PER_HASH && !out.includes(name)) out.push(name);
  return out;
}

const HASH_COLUMNS = 'sha256, endpoints, detecting_endpoints, reports, first_seen, last_seen, countries, detection_names';

async function ensureAndLock(tx: Queryable, hashes: readonly string[]): Promise<Map<string, HashRow>> {
  await forEachRow(tx, { sha256: 'text', bucket: 'text' }, hashes.map((sha256) => ({ sha256, bucket: sha256.slice(0, 8) })), {
    sqlite: `INSERT INTO network_hashes (sha256, bucket, endpoints, detecting_endpoints, reports, first_seen, last_seen, countries, detection_names)
             VALUES (?, ?, 0, 0, 0, NULL, NULL, '[]', '[]') ON CONFLICT (sha256) DO NOTHING`,
    postgres: (rows) => `INSERT INTO network_hashes (sha256, bucket, endpoints, detecting_endpoints, reports, first_seen, last_seen, countries, detection_names)
             SELECT sha256, bucket, 0, 0, 0, NULL, NULL, '[]', '[]' FROM ${rows} AS j ORDER BY sha256 ON CONFLICT (sha256) DO NOTHING`,
  });
  const { returned } = await forEachRow<HashRow>(tx, { sha256: 'text' }, hashes.map((sha256) => ({ sha256 })), {
    sqlite: `SELECT ${HASH_COLUMNS} FROM network_hashes WHERE sha256 = ?`,
    postgres: (rows) => `SELECT ${HASH_COLUMNS} FROM network_hashes WHERE sha256 IN (SELECT sha256 FROM ${rows} AS j) ORDER BY sha256 FOR UPDATE`,
    returning: true,
  });
  return new Map(returned.map((r) => [r.sha256, r]));
}

async function writeRows(tx: Queryable, rows: readonly HashRow[]): Promise<void> {
  const columns = { endpoints: 'bigint', detecting_endpoints: 'bigint', reports: 'bigint', first_seen: 'text', last_seen: 'text', countries: 'text', detection_names: 'text', sha256: 'text' } as const;
  await forEachRow(tx, columns, rows as unknown as Row[], {
    sqlite: `UPDATE network_hashes SET endpoints = ?, detecting_endpoints = ?, reports = ?, first_seen = ?, last_seen = ?, countries = ?, detection_names = ? WHERE sha256 = ?`,
    postgres: (source) => `UPDATE network_hashes SET endpoints = j.endpoints, detecting_endpoints = j.detecting_endpoints, reports = j.reports,
       first_seen = j.first_seen, last_seen = j.last_seen, countries = j.countries, detection_names = j.detection_names
     FROM ${source} AS j WHERE network_hashes.sha256 = j.sha256`,
  });
}

/** Adds one stored batch of `endpoint` (from `country`, received at `receivedAt`) to the aggregates. */
export async function addToAggregates(tx: Queryable, events: readonly NetworkEvent[], endpoint: string, country: string | null, receivedAt: string): Promise<void> {
  const deltas = summarize(events, receivedAt);
  const rows = await ensureAndLock(tx, deltas.map((d) => d.sha256));
  // Which hashes this endpoint reports for the first time, and which it now reports as detected.
  const { returned: added } = await forEachRow<{ sha256: string; detected: number }>(
    tx,
    { sha256: 'text', endpoint: 'text', detected: 'bigint' },
    deltas.map((d) => ({ sha256: d.sha256, endpoint, detected: d.detected ? 1 : 0 })),
    {
      sqlite: 'INSERT INTO network_hash_endpoints (sha256, endpoint, detected) VALUES (?, ?, ?) ON CONFLICT (sha256, endpoint) DO NOTHING RETURNING sha256, detected',
      postgres: (source) => `INSERT INTO network_hash_endpoints (sha256, endpoint, detected) SELECT sha256, endpoint, detected FROM ${source} AS j ON CONFLICT (sha256, endpoint) DO NOTHING RETURNING sha256, detected`,
      returning: true,
    },
  );
  const newEndpoint = new Set(added.map((a) => a.sha256));
  const newlyDetecting = new Set(added.filter((a) => a.detected === 1).map((a) => a.sha256));
  const upgrade = deltas.filter((d) => d.detected && !newEndpoint.has(d.sha256)).map((d) => ({ endpoint, sha256: d.sha256 }));
  const { returned: upgraded } = await forEachRow<{ sha256: string }>(tx, { endpoint: 'text', sha256: 'text' }, upgrade, {
    sqlite: 'UPDATE network_hash_endpoints SET detected = 1 WHERE endpoint = ? AND sha256 = ? AND detected = 0 RETURNING sha256',
    postgres: (source) => `UPDATE network_hash_endpoints h SET detected = 1 FROM ${source} AS j WHERE h.endpoint = j.endpoint AND h.sha256 = j.sha256 AND h.detected = 0 RETURNING h.sha256`,
    returning: true,
  });
  for (const u of upgraded) newlyDetecting.add(u.sha256);
  const updated = deltas.map((d): HashRow => {
    const row = rows.get(d.sha256)!;
    const countries = JSON.parse(row.countries) as string[];
    if (country !== null && !countries.includes(country)) countries.push(country);
    return {
      sha256: d.sha256,
      endpoints: row.endpoints + (newEndpoint.has(d.sha256) ? 1 : 0),
      detecting_endpoints: row.detecting_endpoints + (newlyDetecting.has(d.sha256) ? 1 : 0),
      reports: row.reports + d.reports,
      first_seen: minIso(row.first_seen, d.first),
      last_seen: maxIso(row.last_seen, d.last),
      countries: JSON.stringify(countries.sort()),
      detection_names: JSON.stringify(mergeNames(JSON.parse(row.detection_names) as string[], d.names)),
    };
  });
  await writeRows(tx, updated);
}

const SEEN = 'CASE WHEN seen_at < received_at THEN seen_at ELSE received_at END';

/**
 * Rebuilds the aggregates of `hashes` from the stored events (after events were deleted). A hash
 * with no events left and no operator verdict disappears. Returns how many were rebuilt and removed.
 */
export async function recomputeHashes(tx: Queryable, hashes: readonly string[]): Promise<{ recomputed: number; removed: number }> {
  let recomputed = 0;
  let removed = 0;
  const sorted = [...new Set(hashes)].sort();
  for (let i = 0; i < sorted.length; i += CHUNK) {
    const chunk = sorted.slice(i, i + CHUNK);
    const list = hexListParam(tx, chunk);
    const IN = inHexList(tx);
    const locked = await tx.all<{ sha256: string }>(`SELECT sha256 FROM network_hashes WHERE sha256${IN} ORDER BY sha256${forUpdate(tx)}`, [list]);
    await tx.run(`DELETE FROM network_hash_endpoints WHERE sha256${IN}`, [list]);
    await tx.run(
      `INSERT INTO network_hash_endpoints (sha256, endpoint, detected)
       SELECT sha256, endpoint, MAX(CASE WHEN kind = 'detection' THEN 1 ELSE 0 END) FROM network_events WHERE sha256${IN} GROUP BY sha256, endpoint`,
      [list],
    );
    const endpoints = new Map((await tx.all<{ sha256: string; n: number; d: number }>(`SELECT sha256, COUNT(*) AS n, SUM(detected) AS d FROM network_hash_endpoints WHERE sha256${IN} GROUP BY sha256`, [list])).map((r) => [r.sha256, r]));
    const reports = new Map(
      (await tx.all<{ sha256: string; n: number; first_seen: string; last_seen: string }>(`SELECT sha256, COUNT(*) AS n, MIN(${SEEN}) AS first_seen, MAX(${SEEN}) AS last_seen FROM network_events WHERE sha256${IN} GROUP BY sha256`, [list])).map((r) => [r.sha256, r]),
    );
    const countries = new Map<string, string[]>();
    for (const r of await tx.all<{ sha256: string; country: string }>(`SELECT DISTINCT sha256, country FROM network_events WHERE sha256${IN} AND country IS NOT NULL`, [list])) {
      (countries.get(r.sha256) ?? countries.set(r.sha256, []).get(r.sha256)!).push(r.country);
    }
    const names = new Map<string, string[]>();
    // In the order first reported, as ingest keeps them.
    for (const r of await tx.all<{ sha256: string; detection: string }>(
      `SELECT sha256, detection, MIN(id) AS first_id FROM network_events WHERE sha256${IN} AND kind = 'detection' GROUP BY sha256, detection ORDER BY sha256, MIN(id)`,
      [list],
    )) {
      names.set(r.sha256, mergeNames(names.get(r.sha256) ?? [], [r.detection]));
    }
    const operator = new Set((await tx.all<{ sha256: string }>(`SELECT sha256 FROM network_operator_verdicts WHERE sha256${IN}`, [list])).map((r) => r.sha256));
    const keep: HashRow[] = [];
    const drop: string[] = [];
    for (const { sha256 } of locked) {
      const r = reports.get(sha256);
      if (!r && !operator.has(sha256)) {
        drop.push(sha256);
        continue;
      }
      const e = endpoints.get(sha256);
      keep.push({
        sha256,
        endpoints: e?.n ?? 0,
        detecting_endpoints: e?.d ?? 0,
        reports: r?.n ?? 0,
        first_seen: r?.first_seen ?? null,
        last_seen: r?.last_seen ?? null,
        countries: JSON.stringify((countries.get(sha256) ?? []).sort()),
        detection_names: JSON.stringify(names.get(sha256) ?? []),
      });
    }
    await writeRows(tx, keep);
    if (drop.length > 0) await tx.run(`DELETE FROM network_hashes WHERE sha256${IN}`, [hexListParam(tx, drop)]);
    recomputed += keep.length;
    removed += drop.length;
  }
  return { recomputed, removed };
}

export async function readHash(q: Queryable, sha256: string): Promise<HashRow | undefined> {
  return q.get<HashRow>('SELECT sha256, endpoints, detecting_endpoints, reports, first_seen, last_seen, countries, detection_names FROM network_hashes WHERE sha256 = ?', [sha256]);
}
