/**
 * Reads the verdict-bearing rows of 4-byte buckets for many look-ups at once. While one query is
 * running, the buckets that later look-ups ask for wait, and the next query reads all of them
 * together (at most `MAX_BUCKETS_PER_QUERY`): under load, one query serves many requests, which
 * matters on PostgreSQL, where each query is a round trip; with no load nothing waits. On SQLite
 * a query runs in the caller's turn with no round trip to share, so each look-up reads its own.
 */
import type { Queryable } from '../store/index.js';
import { hexListParam, inHexList } from './bulk-sql.js';
import type { Verdict } from './verdict.js';

export const MAX_BUCKETS_PER_QUERY = 2000;

export interface BucketRow {
  sha256: string;
  bucket: string;
  detecting_endpoints: number;
  detection_names: string;
  operator_verdict: Verdict | null;
}

export const BUCKET_SELECT = 'SELECT sha256, bucket, detecting_endpoints, detection_names, operator_verdict FROM network_hashes';
/** Only rows that can have a verdict (operator's, or enough detecting endpoints); verdict.ts decides. */
export const HAS_VERDICT = '(operator_verdict IS NOT NULL OR detecting_endpoints >= ?)';

/**
 * PostgreSQL plans a named statement afresh on every call (a "custom plan") while that looks
 * cheaper than its one generic plan, and re-planning costs it more than the query itself. The
 * generic plan assumes an array of 10 elements; a shorter array makes every custom plan look
 * cheaper, so lists are padded to `PG_MIN_LIST` with a value no bucket has (`x`, not hex).
 */
const PG_MIN_LIST = 16;

function listParam(q: Queryable, buckets: readonly string[]): string {
  const param = hexListParam(q, buckets);
  if (q.dialect !== 'postgres' || buckets.length >= PG_MIN_LIST) return param;
  return `${param.slice(0, -1)}${',x'.repeat(PG_MIN_LIST - buckets.length)}}`;
}

interface Waiting {
  buckets: readonly string[];
  resolve(rows: BucketRow[]): void;
  reject(error: unknown): void;
}

export class BucketReader {
  private readonly queue: Waiting[] = [];
  private running = false;

  constructor(
    private readonly q: Queryable,
    private readonly quorum: number,
  ) {}

  /** The rows of these buckets that may have a verdict. */
  read(buckets: readonly string[]): Promise<BucketRow[]> {
    // SQLite answers in the caller's turn, without a round trip to share: batching would only add work.
    if (this.q.dialect === 'sqlite') return this.query(buckets);
    return new Promise((resolve, reject) => {
      this.queue.push({ buckets, resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  private query(buckets: readonly string[]): Promise<BucketRow[]> {
    // One bucket (the usual look-up) is a plain equality: cheaper than unpacking a list.
    return buckets.length === 1
      ? this.q.all<BucketRow>(`${BUCKET_SELECT} WHERE bucket = ? AND ${HAS_VERDICT}`, [buckets[0]!, Math.max(1, this.quorum)])
      : this.q.all<BucketRow>(`${BUCKET_SELECT} WHERE bucket${inHexList(this.q)} AND ${HAS_VERDICT}`, [listParam(this.q, buckets), Math.max(1, this.quorum)]);
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0) {
        const batch: Waiting[] = [this.queue.shift()!];
        let count = batch[0]!.buckets.length;
        while (this.queue.length > 0 && count + this.queue[0]!.buckets.length <= MAX_BUCKETS_PER_QUERY) {
          const next = this.queue.shift()!;
          count += next.buckets.length;
          batch.push(next);
        }
        const all = [...new Set(batch.flatMap((w) => w.buckets))];
        try {
          // One bucket (the usual look-up) is a plain equality: cheaper than unpacking a list.
          const rows = await this.query(all);
          if (batch.length === 1) batch[0]!.resolve(rows);
          else
            for (const w of batch) {
              const wanted = new Set(w.buckets);
              w.resolve(rows.filter((r) => wanted.has(r.bucket)));
            }
        } catch (e) {
          for (const w of batch) w.reject(e);
        }
      }
    } finally {
      this.running = false;
    }
  }
}
