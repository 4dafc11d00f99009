/**
 * Reputation look-ups with k-anonymity. The agent sends only a short prefix of each SHA-256 (4
 * bytes by default); the cloud answers with every hash of that bucket that has a verdict, and the
 * agent matches its full hash locally, so the cloud never learns which file was asked about.
 *
 * A bucket reveals only what it must: hashes with a verdict (verdict.ts), their source and their
 * detection names. Unknown hashes, prevalence, countries and times are never listed, so a look-up
 * cannot tell whether anyone else ever saw a file.
 *
 * Each hash is stored with its first 4 bytes (`bucket`, indexed): all 4-byte (or longer) prefixes
 * of a request are one indexed query; a longer prefix narrows its bucket afterwards, a shorter one
 * (2 or 3 bytes) is one range query of its own. Under load, the buckets of concurrent look-ups are
 * read together (bucket-reader.ts). Against enumeration each prefix is charged the
 * 4-byte buckets it covers (1 for 4 bytes or more, 256 for 3 bytes, 65,536 for 2 bytes) from the
 * caller's hourly budget (network-routes.ts).
 */
import type { Queryable } from '../store/index.js';
import { BUCKET_SELECT, HAS_VERDICT, type BucketReader, type BucketRow } from './bucket-reader.js';
import { hashVerdict, type Verdict, type VerdictSource } from './verdict.js';

export const BUCKET_HEX = 8;

export interface BucketHash {
  sha256: string;
  verdict: Verdict;
  source: VerdictSource;
  detection_names: string[];
}

export interface BucketResult {
  prefix: string;
  hashes: BucketHash[];
}

/** What looking up `prefix` costs against the enumeration budget: the 4-byte buckets it covers. */
export function prefixCost(prefix: string): number {
  return prefix.length >= BUCKET_HEX ? 1 : 16 ** (BUCKET_HEX - prefix.length);
}

function toHash(row: BucketRow, quorum: number): BucketHash | null {
  const v = hashVerdict(row.operator_verdict, row.detecting_endpoints, quorum);
  if (!v) return null;
  // A clean verdict lists no names: they would only be the detections it overrules.
  return { sha256: row.sha256, verdict: v.verdict, source: v.source, detection_names: v.verdict === 'clean' ? [] : (JSON.parse(row.detection_names) as string[]) };
}

/** The verdict-bearing hashes of each distinct prefix, in the order the prefixes came. */
export async function lookupBuckets(q: Queryable, reader: BucketReader, prefixes: readonly string[], quorum: number): Promise<BucketResult[]> {
  const distinct = [...new Set(prefixes)];
  const found: BucketHash[] = [];
  const buckets = [...new Set(distinct.filter((p) => p.length >= BUCKET_HEX).map((p) => p.slice(0, BUCKET_HEX)))];
  if (buckets.length > 0) {
    for (const row of await reader.read(buckets)) {
      const h = toHash(row, quorum);
      if (h) found.push(h);
    }
  }
  const short = new Map<string, BucketHash[]>();
  for (const p of distinct.filter((p) => p.length < BUCKET_HEX)) {
    const rows = await q.all<BucketRow>(`${BUCKET_SELECT} WHERE bucket >= ? AND bucket <= ? AND ${HAS_VERDICT}`, [p.padEnd(BUCKET_HEX, '0'), p.padEnd(BUCKET_HEX, 'f'), Math.max(1, quorum)]);
    short.set(p, rows.flatMap((r) => toHash(r, quorum) ?? []));
  }
  return distinct.map((prefix) => ({
    prefix,
    hashes: (short.get(prefix) ?? found.filter((h) => h.sha256.startsWith(prefix))).sort((a, b) => (a.sha256 < b.sha256 ? -1 : 1)),
  }));
}
