/**
 * One scan of one input, fed in chunks: detects the file type from the head, runs the body
 * matcher, computes only the digests the hash tables can use, evaluates logical signatures at the
 * end, and applies allow lists. Memory is bounded by the windows of the body matchers.
 *
 * ASCII text is matched twice, as ClamAV does: raw (target type 0 signatures) and normalised
 * (lowercase, collapsed whitespace: target types 0 and 7). Each form is a "lane" with its own
 * matcher and its own logical-signature counts.
 */
import { createHash, type Hash } from 'node:crypto';
import { L, META, P } from './image-layout.js';
import type { Database } from './database.js';
import { detectFileType, FILE_TYPE, FILE_TYPE_HEAD, FILE_TYPE_NAMES } from './filetype.js';
import { BodyMatcher } from './match/index.js';
import { findHashes, hasSize } from './match/index.js';
import { evaluateLogical } from './match/index.js';
import { TextNormalizer } from './match/index.js';
import type { Finding, ScanResult } from './result.js';
import { HASH_ALGOS, type HashAlgo } from './signatures/index.js';

export interface SessionOptions {
  /** Report every matching signature instead of stopping at the first. */
  allMatch: boolean;
  /** Total size when known in advance (files, buffers): lets hashing be skipped for sizes no signature has. */
  size: number | null;
  /** Bytes to run through the matchers at most; later bytes are still hashed but not matched. */
  maxScanSize: number;
  /** Name used in findings. */
  path: string;
  /** Inputs of this many bytes or fewer are reported clean without a verdict from the matchers. */
  minScanSize: number;
}

const ANY_SIZE_FIELD: Record<HashAlgo, number> = { md5: META.MD5_ANY_SIZE, sha1: META.SHA1_ANY_SIZE, sha256: META.SHA256_ANY_SIZE };
/** File type given to a lane that only target-type 0 signatures may match. */
const RAW_ONLY = -1;

/** Matcher and logical-signature counters for one form of the input. */
class Lane {
  readonly matcher: BodyMatcher;
  readonly counters: Int32Array;
  readonly lastStart: Float64Array;
  readonly logicalTouched: Uint8Array;
  readonly touched: number[] = [];
  fileType = 0;
  bytes = 0;
  constructor(readonly db: Database) {
    let subsigs = 0;
    const lg = db.logical;
    for (let k = 0; k * L.FIELDS < lg.length; k++) subsigs = Math.max(subsigs, lg[k * L.FIELDS + L.FIRST_COUNTER]! + lg[k * L.FIELDS + L.SUBSIG_COUNT]!);
    this.counters = new Int32Array(subsigs);
    this.lastStart = new Float64Array(subsigs).fill(-1);
    this.logicalTouched = new Uint8Array(lg.length / L.FIELDS);
    this.matcher = new BodyMatcher(db);
  }

  /** Counts a logical subsignature match (ClamAV counts one only when it starts after the last counted one). */
  count(ldb: number, subsig: number, start: number): void {
    const counter = this.db.logical[ldb * L.FIELDS + L.FIRST_COUNTER]! + subsig;
    if (start <= this.lastStart[counter]!) return;
    this.lastStart[counter] = start;
    this.counters[counter]!++;
    if (!this.logicalTouched[ldb]) {
      this.logicalTouched[ldb] = 1;
      this.touched.push(ldb);
    }
  }

  /** Logical signatures that hold for this lane. */
  evaluate(size: number): number[] {
    const out: number[] = [];
    const lg = this.db.logical;
    const check = (ldb: number) => {
      const r = ldb * L.FIELDS;
      const target = lg[r + L.TARGET]!;
      if (target !== 0 && target !== this.fileType) return;
      const min = lg[r + L.SIZE_MIN]!;
      if (min >= 0 && (size < min || size > lg[r + L.SIZE_MAX]!)) return;
      if (evaluateLogical(this.db.logicalExpr, lg[r + L.EXPR_START]!, lg[r + L.EXPR_LENGTH]!, this.counters, lg[r + L.FIRST_COUNTER]!)) out.push(ldb);
    };
    for (const ldb of this.touched) check(ldb);
    for (const ldb of this.db.logicalZeroTrue) if (!this.logicalTouched[ldb]) check(ldb);
    return out;
  }

  reset(): void {
    for (const ldb of this.touched) {
      const r = ldb * L.FIELDS;
      const first = this.db.logical[r + L.FIRST_COUNTER]!;
      const n = this.db.logical[r + L.SUBSIG_COUNT]!;
      this.counters.fill(0, first, first + n);
      this.lastStart.fill(-1, first, first + n);
      this.logicalTouched[ldb] = 0;
    }
    this.touched.length = 0;
    this.bytes = 0;
  }
}

/** Per-database state reused from one scan to the next (one per concurrent scan). */
export class ScanContext {
  readonly raw: Lane;
  private normalizedLane: Lane | null = null;
  constructor(readonly db: Database) {
    this.raw = new Lane(db);
  }
  get normalized(): Lane {
    return (this.normalizedLane ??= new Lane(this.db));
  }
}

export class ScanSession {
  private head: Uint8Array[] = [];
  private headBytes = 0;
  private started = false;
  private fileType = 0;
  private total = 0;
  private scanned = 0;
  private readonly db: Database;
  private readonly lanes: Lane[] = [];
  private normalizer: TextNormalizer | null = null;
  private readonly hashes = new Map<HashAlgo, Hash>();
  private readonly bodyFindings: Finding[] = [];
  private limitHit = false;

  constructor(private readonly ctx: ScanContext, private readonly opts: SessionOptions) {
    this.db = ctx.db;
    for (const algo of HASH_ALGOS) {
      if (this.needsHash(algo)) this.hashes.set(algo, createHash(algo));
    }
  }

  private needsHash(algo: HashAlgo): boolean {
    const db = this.db;
    if (db.detect[algo].count === 0 && db.allow[algo].count === 0) return false;
    if (this.opts.size === null || db.metaValue(ANY_SIZE_FIELD[algo]) === 1) return true;
    return hasSize(db.sizeSets[algo], this.opts.size);
  }

  /** True once a match makes further input pointless (a finding without all-match, and no hash pending). */
  get satisfied(): boolean {
    return !this.opts.allMatch && this.bodyFindings.length > 0 && this.hashes.size === 0;
  }

  write(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.total += chunk.length;
    for (const h of this.hashes.values()) h.update(chunk);
    if (!this.started) {
      this.head.push(chunk);
      this.headBytes += chunk.length;
      if (this.headBytes >= FILE_TYPE_HEAD) this.start();
      return;
    }
    this.feed(chunk);
  }

  private start(): void {
    const head = Buffer.concat(this.head);
    this.head = [];
    this.started = true;
    this.fileType = detectFileType(head.subarray(0, FILE_TYPE_HEAD));
    const onMatch = (lane: Lane) => (p: number, s: number) => this.onPattern(lane, p, s);
    const raw = this.ctx.raw;
    raw.fileType = this.fileType === FILE_TYPE.TEXT ? RAW_ONLY : this.fileType;
    raw.matcher.begin(raw.fileType, onMatch(raw));
    this.lanes.push(raw);
    if (this.fileType === FILE_TYPE.TEXT) {
      const norm = this.ctx.normalized;
      norm.fileType = FILE_TYPE.TEXT;
      norm.matcher.begin(norm.fileType, onMatch(norm));
      this.lanes.push(norm);
      this.normalizer = new TextNormalizer();
    }
    this.feed(head);
  }

  private feed(chunk: Uint8Array): void {
    if (this.limitHit || this.lanes.every((l) => l.matcher.done)) return;
    let part = chunk;
    if (this.scanned + part.length > this.opts.maxScanSize) {
      part = part.subarray(0, Math.max(0, this.opts.maxScanSize - this.scanned));
      this.limitHit = true;
    }
    this.scanned += part.length;
    const [raw, norm] = this.lanes;
    if (!raw!.matcher.done) raw!.matcher.write(part);
    raw!.bytes += part.length;
    if (norm && !norm.matcher.done && !this.satisfied) {
      const text = this.normalizer!.push(part);
      norm.matcher.write(text);
      norm.bytes += text.length;
    }
  }

  private onPattern(lane: Lane, pattern: number, start: number): boolean {
    const pats = this.db.patterns;
    const base = pattern * P.FIELDS;
    if (pats[base + P.KIND] === 0) {
      this.bodyFindings.push({ signature: this.db.name(pats[base + P.OWNER]!), kind: 'body', path: this.opts.path });
      return !this.opts.allMatch;
    }
    lane.count(pats[base + P.OWNER]!, pats[base + P.SUBSIG]!, start);
    return false;
  }

  end(): ScanResult {
    if (!this.started) this.start();
    for (const lane of this.lanes) lane.matcher.end(lane.bytes);
    const size = this.total;
    const findings: Finding[] = [];
    let allowListed = false;
    for (const [algo, h] of this.hashes) {
      const digest = h.digest();
      if (findHashes(this.db.allow[algo], digest, size).length > 0) allowListed = true;
      const t = this.db.detect[algo];
      for (const i of findHashes(t, digest, size)) findings.push({ signature: this.db.hashName(t.names[i]!), kind: 'hash', path: this.opts.path });
    }
    findings.push(...this.bodyFindings);
    for (const lane of this.lanes) {
      // FileSize conditions are on the file, whichever form of it was matched.
      for (const ldb of lane.evaluate(size)) {
        findings.push({ signature: this.db.name(this.db.logical[ldb * L.FIELDS + L.NAME]!), kind: 'logical', path: this.opts.path });
      }
      lane.reset();
    }
    const tooSmall = size <= this.opts.minScanSize;
    const kept = allowListed || tooSmall ? [] : this.opts.allMatch ? dedupe(findings) : findings.slice(0, 1);
    const result: ScanResult = {
      verdict: kept.length > 0 ? 'infected' : this.limitHit ? 'incomplete' : 'clean',
      infected: kept.length > 0,
      findings: kept,
      size,
      bytesScanned: this.scanned,
      fileType: FILE_TYPE_NAMES[this.fileType] ?? 'binary',
      allowListed,
    };
    if (this.limitHit) result.limit = { name: 'max-scansize', value: this.opts.maxScanSize, path: this.opts.path };
    return result;
  }
}

function dedupe(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => (seen.has(f.signature) ? false : (seen.add(f.signature), true)));
}
