/**
 * The CIDR-to-country table in the store, and the look-up of one address. Keys are 32 hex digits
 * in one IPv6 keyspace (IPv4 as ::ffff:a.b.c.d), so text order is address order and one index
 * answers "the range starting at or before this address".
 */
import { appendAudit } from '../audit/index.js';
import type { Actor } from '../accounts/index.js';
import type { Queryable } from '../store/index.js';
import { ipToKey } from './ip-key.js';
import type { GeoRange } from './geo-csv.js';

const BATCH = 500;

/** Replaces the whole table with `ranges` (sorted, non-overlapping). */
export async function replaceGeoRanges(tx: Queryable, ranges: readonly GeoRange[], source: string, actor: Actor): Promise<number> {
  await tx.run('DELETE FROM geo_ranges');
  for (let i = 0; i < ranges.length; i += BATCH) {
    const batch = ranges.slice(i, i + BATCH);
    const params = batch.flatMap((r) => [r.start, r.end, r.country]);
    await tx.run(`INSERT INTO geo_ranges (start_key, end_key, country) VALUES ${batch.map(() => '(?, ?, ?)').join(', ')}`, params);
  }
  const countries = new Set(ranges.map((r) => r.country)).size;
  await appendAudit(tx, { kind: 'geo.import', actor: actor.name, tenant: null, data: { source, ranges: ranges.length, countries } }, actor.now);
  return ranges.length;
}

/** The country of an address, or null when the table does not know it (or the text is no address). */
export async function lookupCountry(q: Queryable, ip: string): Promise<string | null> {
  let key: string;
  try {
    key = ipToKey(ip);
  } catch {
    return null;
  }
  const row = await q.get<{ end_key: string; country: string }>('SELECT end_key, country FROM geo_ranges WHERE start_key <= ? ORDER BY start_key DESC LIMIT 1', [key]);
  return row && row.end_key >= key ? row.country : null;
}

export async function countGeoRanges(q: Queryable): Promise<number> {
  return (await q.get<{ n: number }>('SELECT COUNT(*) AS n FROM geo_ranges'))?.n ?? 0;
}
