/**
 * The reputation cache: full hashes the cloud knows, with their verdict, kept until the cache time
 * the cloud gave (`cache_seconds`), plus the buckets (hash prefixes) looked up: a hash whose bucket
 * is fresh but which is not in it is unknown to the cloud, and is not asked about again until the
 * bucket expires. Bounded: beyond `maxHashes`, the entries that expire first go first.
 */
import type Database from 'better-sqlite3';
import type { KnownHash, LookupAnswer, Verdict } from './network-client.js';

/** Hashes kept at most. */
export const REPUTATION_CACHE_MAX_HASHES = 200_000;

export interface CachedVerdict extends KnownHash {
  /** Milliseconds since the epoch. */
  expires_at: number;
}

export class ReputationCache {
  readonly maxHashes: number;

  constructor(
    private readonly db: Database.Database,
    options: { maxHashes?: number } = {},
  ) {
    this.maxHashes = options.maxHashes ?? REPUTATION_CACHE_MAX_HASHES;
  }

  /** The cloud's verdict on `sha256`, while fresh. */
  get(sha256: string, now: Date): CachedVerdict | undefined {
    const row = this.db.prepare('SELECT sha256, verdict, source, detection_names, expires_at FROM reputation WHERE sha256 = ? AND expires_at > ?').get(sha256, now.getTime()) as
      | { sha256: string; verdict: Verdict; source: string; detection_names: string; expires_at: number }
      | undefined;
    if (!row) return undefined;
    let names: string[] = [];
    try {
      const parsed = JSON.parse(row.detection_names) as unknown;
      if (Array.isArray(parsed)) names = parsed.filter((n): n is string => typeof n === 'string');
    } catch {
      // kept without names
    }
    return { sha256: row.sha256, verdict: row.verdict, source: row.source, detection_names: names, expires_at: row.expires_at };
  }

  /** Whether bucket `prefix` was looked up and has not expired. */
  bucketFresh(prefix: string, now: Date): boolean {
    return this.db.prepare('SELECT 1 FROM reputation_buckets WHERE prefix = ? AND expires_at > ?').get(prefix, now.getTime()) !== undefined;
  }

  /** Keeps an answer for the buckets `asked`: each bucket's known hashes replace what was cached for it. */
  store(asked: readonly string[], answer: LookupAnswer, now: Date): void {
    const expires = now.getTime() + answer.cache_seconds * 1000;
    const byPrefix = new Map(answer.results.map((r) => [r.prefix, r.hashes]));
    this.db
      .transaction(() => {
        const clear = this.db.prepare('DELETE FROM reputation WHERE prefix = ?');
        const put = this.db.prepare('INSERT OR REPLACE INTO reputation (sha256, prefix, verdict, source, detection_names, expires_at) VALUES (?, ?, ?, ?, ?, ?)');
        const bucket = this.db.prepare('INSERT OR REPLACE INTO reputation_buckets (prefix, expires_at) VALUES (?, ?)');
        for (const prefix of asked) {
          clear.run(prefix);
          if (answer.cache_seconds <= 0) continue;
          for (const h of byPrefix.get(prefix) ?? []) put.run(h.sha256, prefix, h.verdict, h.source, JSON.stringify(h.detection_names), expires);
          bucket.run(prefix, expires);
        }
        this.trim(now);
      })
      .immediate();
  }

  /** Drops expired entries, then the soonest-expiring beyond the bound. */
  trim(now: Date): void {
    this.db.prepare('DELETE FROM reputation WHERE expires_at <= ?').run(now.getTime());
    this.db.prepare('DELETE FROM reputation_buckets WHERE expires_at <= ?').run(now.getTime());
    const n = (this.db.prepare('SELECT count(*) AS n FROM reputation').get() as { n: number }).n;
    if (n > this.maxHashes) {
      this.db.prepare('DELETE FROM reputation WHERE sha256 IN (SELECT sha256 FROM reputation ORDER BY expires_at LIMIT ?)').run(n - this.maxHashes);
    }
  }

  /** Fresh hashes and buckets held. */
  size(now: Date): { hashes: number; malicious: number; buckets: number } {
    const t = now.getTime();
    const h = this.db.prepare("SELECT count(*) AS n, coalesce(sum(verdict = 'malicious'), 0) AS m FROM reputation WHERE expires_at > ?").get(t) as { n: number; m: number };
    const b = this.db.prepare('SELECT count(*) AS n FROM reputation_buckets WHERE expires_at > ?').get(t) as { n: number };
    return { hashes: h.n, malicious: h.m, buckets: b.n };
  }
}
