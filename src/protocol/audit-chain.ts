/**
 * The audit log's hash chain, shared by the cloud (which appends) and `vigil audit log verify`
 * (which checks an export offline).
 *
 * Every record carries `seq` (1, 2, 3, ...), `prev` (the previous record's hash; AUDIT_GENESIS for
 * seq 1) and `hash` = hex SHA-256 of the UTF-8 bytes of AUDIT_HASH_PREFIX followed by the RFC 8785
 * canonical JSON of the seven other fields (actor, at, data, kind, prev, seq, tenant). The prefix
 * separates these hashes from every other SHA-256 Vigil computes, and names the format version.
 * An export is JSON lines: one record a line, written by formatAuditLine (canonical JSON of all
 * eight fields); the verifier checks content, not bytes, so it accepts any JSON encoding of a record.
 *
 * What verifying an export proves, record by record:
 * - a record whose content was changed no longer matches its `hash` (HASH_MISMATCH);
 * - a record removed, inserted or moved breaks `seq` (SEQ_GAP, SEQ_REPEAT) or `prev` (PREV_MISMATCH);
 * - a record changed and given a fresh hash breaks the `prev` of the record after it.
 * What it cannot prove alone: there is no key, so anyone can recompute SHA-256. Records cut off the
 * end of the log, or a log rewritten from some record on with every later hash recomputed, verify
 * as a shorter or different chain. Both are caught only against a head obtained elsewhere: the
 * service's signed or published head, or a head the auditor wrote down earlier (`expectHead`).
 */
import { VigilError } from './vigil-error.js';
import { describeValue, hasDuplicateMembers, isIsoUtc, printable } from './json-checks.js';
import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';

/** `prev` of the first record. */
export const AUDIT_GENESIS = '0'.repeat(64);
/** Domain separation and format version, hashed before the canonical JSON of a record. */
export const AUDIT_HASH_PREFIX = 'vigil-audit-v1\n';
/** The longest record line, in UTF-8 bytes, that records are built to and verifiers accept. */
export const AUDIT_MAX_LINE_BYTES = 1024 * 1024;

export interface AuditRecord {
  /** 1-based, consecutive. */
  seq: number;
  /** ISO 8601 UTC, e.g. 2024-07-20T04:00:00.000Z (0 to 9 fraction digits). */
  at: string;
  /** What happened, e.g. 'policy.decision', 'rule.create', 'token.revoke'. */
  kind: string;
  actor: string | null;
  tenant: string | null;
  /** Any JSON value (null included); never undefined. */
  data: unknown;
  /** Lowercase hex SHA-256 of the previous record; AUDIT_GENESIS for seq 1. */
  prev: string;
  /** Lowercase hex SHA-256, see hashAuditRecord. */
  hash: string;
}

/** What the appender chooses; seq, prev and hash follow from the previous record. */
export interface AuditRecordFields {
  at: string | Date;
  kind: string;
  actor: string | null;
  tenant: string | null;
  data: unknown;
}

/** A position in the chain: the number of records and the hash of the last (AUDIT_GENESIS for none). */
export interface AuditHead {
  count: number;
  hash: string;
}

/** Problems with one record taken alone (thrown by parseAuditLine and chainAuditRecord). */
export type AuditRecordErrorCode = 'NOT_JSON' | 'LINE_TOO_LONG' | 'MALFORMED';
/** Every way a verification fails. */
export type AuditFailureCode = AuditRecordErrorCode | 'HASH_MISMATCH' | 'SEQ_GAP' | 'SEQ_REPEAT' | 'PREV_MISMATCH' | 'HEAD_MISMATCH' | 'TRUNCATED';

export class AuditChainError extends VigilError {
  constructor(
    readonly code: AuditRecordErrorCode,
    /** The problem without its location, e.g. `field "at": expected ...`. */
    readonly detail: string,
    readonly line?: number,
    readonly field?: string,
    options?: { cause?: unknown },
  ) {
    super(line === undefined ? detail : `line ${line}: ${detail}`, options);
    this.name = 'AuditChainError';
  }
}

export interface AuditChainSuccess {
  ok: true;
  count: number;
  head: string;
}

export interface AuditChainFailure {
  ok: false;
  /** The position in the chain where it broke: the record expected there (count of good records + 1). */
  seq: number;
  /** The line the record sat on (1-based); past the last line for a truncated log. */
  line: number;
  code: AuditFailureCode;
  /** What is wrong, in words, e.g. `hash mismatch: the record was altered (...)`. */
  reason: string;
  /** The offending field, for MALFORMED. */
  field?: string;
}

export type AuditChainResult = AuditChainSuccess | AuditChainFailure;

export interface AuditVerifyOptions {
  /**
   * A head obtained elsewhere that the log must contain: record `count` must hash to `hash`.
   * Records after it are fine (the log may have grown since). With `count` only, the log must have
   * at least that many records; with `hash` only, some record (or the empty log) must hash to it.
   */
  expectHead?: Partial<AuditHead>;
}

const HEX64_RE = /^[0-9a-f]{64}$/;
const FIELDS = ['seq', 'at', 'kind', 'actor', 'tenant', 'data', 'prev', 'hash'] as const;

/** Hex SHA-256 of AUDIT_HASH_PREFIX + canonicalJson of the seven fields other than `hash`. */
export function hashAuditRecord(r: Omit<AuditRecord, 'hash'>): string {
  if (r.data === undefined) throw new AuditChainError('MALFORMED', 'field "data": missing (use null for no data)', undefined, 'data');
  const body = canonicalJson({ seq: r.seq, at: r.at, kind: r.kind, actor: r.actor, tenant: r.tenant, data: r.data, prev: r.prev });
  return createHash('sha256').update(AUDIT_HASH_PREFIX + body, 'utf8').digest('hex');
}

/** The export line of a record (canonical JSON of its eight fields, without a newline). */
export function formatAuditLine(r: AuditRecord): string {
  return canonicalJson({ seq: r.seq, at: r.at, kind: r.kind, actor: r.actor, tenant: r.tenant, data: r.data, prev: r.prev, hash: r.hash });
}

/**
 * The record that follows `prev` (null for the first). `data` is copied through canonical JSON, so
 * the record holds exactly what is hashed. Throws AuditChainError when a field would not verify.
 */
export function chainAuditRecord(prev: AuditRecord | null, fields: AuditRecordFields): AuditRecord {
  const at = !(fields.at instanceof Date) ? fields.at : Number.isNaN(fields.at.getTime()) ? 'Invalid Date' : fields.at.toISOString();
  if (fields.data === undefined) throw new AuditChainError('MALFORMED', 'field "data": missing (use null for no data)', undefined, 'data');
  let data: unknown;
  let dataJson: string;
  try {
    dataJson = canonicalJson(fields.data);
    data = JSON.parse(dataJson);
  } catch (e) {
    throw new AuditChainError('MALFORMED', `field "data": ${(e as Error).message}`, undefined, 'data', { cause: e });
  }
  const unhashed = { seq: prev === null ? 1 : prev.seq + 1, at, kind: fields.kind, actor: fields.actor, tenant: fields.tenant, data, prev: prev === null ? AUDIT_GENESIS : prev.hash };
  const record = checkAuditRecord({ ...unhashed, hash: hashAuditRecord(unhashed) });
  // The export line's length without writing the line again: the other fields plus `"data":<data>,`.
  const { data: _data, ...others } = record;
  const bytes = Buffer.byteLength(canonicalJson(others), 'utf8') + Buffer.byteLength(dataJson, 'utf8') + '"data":,'.length;
  if (bytes > AUDIT_MAX_LINE_BYTES) throw new AuditChainError('LINE_TOO_LONG', `record is ${bytes} bytes as a line, over the ${AUDIT_MAX_LINE_BYTES}-byte limit`);
  return record;
}

/** Parses one export line and checks its shape (not its hash). Throws AuditChainError naming line and field. */
export function parseAuditLine(text: string, lineNo: number): AuditRecord {
  let value: unknown;
  try {
    value = parseJsonLine(text);
  } catch (e) {
    const err = e as AuditChainError;
    throw new AuditChainError(err.code, err.detail, lineNo, err.field, { cause: err.cause });
  }
  return checkAuditRecord(value, lineNo);
}

/** Checks that `value` has the shape of an AuditRecord: every field, of the right type, and nothing else. */
function checkAuditRecord(value: unknown, line?: number): AuditRecord {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new AuditChainError('NOT_JSON', `not a JSON object: found ${describeValue(value)}`, line);
  }
  const v = value as Record<string, unknown>;
  const bad = (field: string, problem: string): never => {
    throw new AuditChainError('MALFORMED', `field "${field}": ${problem}`, line, field);
  };
  for (const f of FIELDS) if (!Object.prototype.hasOwnProperty.call(v, f) || v[f] === undefined) bad(f, 'missing');
  const { seq, at, kind, actor, tenant, prev, hash } = v;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) bad('seq', `expected an integer from 1, found ${describeValue(seq)}`);
  if (typeof at !== 'string' || !isIsoUtc(at)) bad('at', `expected an ISO 8601 UTC time such as 2024-07-20T04:00:00.000Z, found ${describeValue(at)}`);
  if (typeof kind !== 'string' || kind.length === 0) bad('kind', `expected a non-empty string, found ${describeValue(kind)}`);
  if (actor !== null && typeof actor !== 'string') bad('actor', `expected a string or null, found ${describeValue(actor)}`);
  if (tenant !== null && typeof tenant !== 'string') bad('tenant', `expected a string or null, found ${describeValue(tenant)}`);
  if (typeof prev !== 'string' || !HEX64_RE.test(prev)) bad('prev', `expected 64 lowercase hex digits, found ${describeValue(prev)}`);
  if (typeof hash !== 'string' || !HEX64_RE.test(hash)) bad('hash', `expected 64 lowercase hex digits, found ${describeValue(hash)}`);
  for (const k of Object.keys(v)) if (!(FIELDS as readonly string[]).includes(k)) bad(k, 'unknown field (the hash does not cover it)');
  return v as unknown as AuditRecord;
}

export interface AuditChainVerifier {
  /** Checks the next record. Returns the first failure (from then on, always that one), or null. */
  push(record: AuditRecord, line?: number): AuditChainFailure | null;
  /** Parses one export line and pushes it; blank lines are skipped. */
  pushLine(text: string, line?: number): AuditChainFailure | null;
  /** The result: the first failure, a failure against the expected head, or the head reached. */
  finish(): AuditChainResult;
  /** Records verified so far. */
  readonly count: number;
  /** Hash of the last record verified (AUDIT_GENESIS before the first). */
  readonly head: string;
}

/** A verifier that takes records one at a time, in order, holding only the last head. */
export function createAuditChainVerifier(options: AuditVerifyOptions = {}): AuditChainVerifier {
  const expect = options.expectHead ?? {};
  if (expect.count !== undefined && !(Number.isSafeInteger(expect.count) && expect.count >= 0)) throw new TypeError('expectHead.count must be an integer from 0');
  if (expect.hash !== undefined && !HEX64_RE.test(expect.hash)) throw new TypeError('expectHead.hash must be 64 lowercase hex digits');
  if (expect.count === 0 && expect.hash !== undefined && expect.hash !== AUDIT_GENESIS) throw new TypeError('the head of 0 records is AUDIT_GENESIS');
  let count = 0;
  let head = AUDIT_GENESIS;
  let lastLine = 0;
  let failure: AuditChainFailure | null = null;
  let headSeen = expect.hash === AUDIT_GENESIS;

  const fail = (seq: number, line: number, code: AuditFailureCode, reason: string, field?: string): AuditChainFailure => {
    failure = { ok: false, seq, line, code, reason, ...(field === undefined ? {} : { field }) };
    return failure;
  };

  const push = (value: AuditRecord, line?: number): AuditChainFailure | null => {
    if (failure) return failure;
    const at = line ?? lastLine + 1;
    lastLine = at;
    const seq = count + 1;
    let r: AuditRecord;
    let computed: string;
    try {
      r = checkAuditRecord(value, at);
      computed = hashAuditRecord(r);
    } catch (e) {
      if (e instanceof AuditChainError) return fail(seq, at, e.code, e.code === 'MALFORMED' ? `malformed: ${e.detail}` : e.detail, e.field);
      // canonicalJson refused a parsed value: a lone surrogate, or nesting too deep.
      const field = /^\$\.(\w+)/.exec((e as Error).message)?.[1] ?? 'data';
      return fail(seq, at, 'MALFORMED', `malformed: field "${field}": ${(e as Error).message}`, field);
    }
    if (computed !== r.hash) return fail(seq, at, 'HASH_MISMATCH', `hash mismatch: the record was altered (its content hashes to ${computed}, not to its hash ${r.hash})`);
    if (r.seq > seq) {
      const missing = r.seq === seq + 1 ? `record ${seq} was removed` : `records ${seq} to ${r.seq - 1} were removed`;
      return fail(seq, at, 'SEQ_GAP', `seq gap: found seq ${r.seq} where ${seq} was expected (${missing}, or records were reordered)`);
    }
    if (r.seq < seq) return fail(seq, at, 'SEQ_REPEAT', `seq repeated: found seq ${r.seq} again where ${seq} was expected (a record was inserted or duplicated before this one, or records were reordered)`);
    if (r.prev !== head) {
      const expected = seq === 1 ? `the first record's prev must be the genesis value ${AUDIT_GENESIS}` : `record ${seq - 1} hashes to ${head}`;
      return fail(seq, at, 'PREV_MISMATCH', `prev mismatch: prev is ${r.prev} but ${expected} (a record before this one was removed, inserted, reordered, or altered and re-hashed)`);
    }
    if (expect.count === seq && expect.hash !== undefined && r.hash !== expect.hash) {
      return fail(seq, at, 'HEAD_MISMATCH', `head mismatch: record ${seq} hashes to ${r.hash}, not to the expected head ${expect.hash} (the log was rewritten at or before record ${seq})`);
    }
    count = seq;
    head = r.hash;
    if (r.hash === expect.hash) headSeen = true;
    return null;
  };

  const pushLine = (text: string, line?: number): AuditChainFailure | null => {
    if (failure) return failure;
    if (text.trim() === '') return null; // does not move lastLine: a truncation is reported after the last record
    let value: unknown;
    try {
      value = parseJsonLine(text);
    } catch (e) {
      lastLine = line ?? lastLine + 1;
      const { code, detail } = e as AuditChainError;
      return fail(count + 1, lastLine, code, code === 'MALFORMED' ? `malformed: ${detail}` : detail);
    }
    return push(value as AuditRecord, line);
  };

  const finish = (): AuditChainResult => {
    if (failure) return failure;
    if (expect.count !== undefined && count < expect.count) {
      return fail(count + 1, lastLine + 1, 'TRUNCATED', `truncated: the log ends after record ${count} but the expected head is record ${expect.count}`);
    }
    if (expect.hash !== undefined && expect.count === undefined && !headSeen) {
      return fail(count + 1, lastLine + 1, 'HEAD_MISMATCH', `head mismatch: no record hashes to the expected head ${expect.hash} (the log was truncated or rewritten)`);
    }
    return { ok: true, count, head };
  };

  return {
    push,
    pushLine,
    finish,
    get count() {
      return count;
    },
    get head() {
      return head;
    },
  };
}

/** Verifies a whole export held in memory (lines split as node:readline splits them). */
export function verifyAuditJsonLines(text: string, options: AuditVerifyOptions = {}): AuditChainResult {
  const verifier = createAuditChainVerifier(options);
  const lines = text.split(/\r\n|\n|\r/);
  for (let i = 0; i < lines.length; i++) if (verifier.pushLine(lines[i]!, i + 1)) break;
  return verifier.finish();
}

/**
 * JSON.parse, refusing what I-JSON (RFC 7493 2.3, required by RFC 8785 3.1) forbids and JSON.parse
 * hides: a member name twice in one object. JSON.parse keeps the last, so a line could show a
 * reader one `data` and hash another.
 */
function parseJsonLine(text: string): unknown {
  if (isOverLong(text)) throw new AuditChainError('LINE_TOO_LONG', `line longer than ${AUDIT_MAX_LINE_BYTES} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new AuditChainError('NOT_JSON', `not a JSON object: ${printable((e as Error).message)}`, undefined, undefined, { cause: e });
  }
  if (hasDuplicateMembers(text, value)) {
    throw new AuditChainError('MALFORMED', 'a member name appears twice in one object (JSON.parse would keep only the last)');
  }
  return value;
}




/** True when `text` is over AUDIT_MAX_LINE_BYTES in UTF-8 (a UTF-16 unit is 1 to 3 bytes). */
function isOverLong(text: string): boolean {
  if (text.length > AUDIT_MAX_LINE_BYTES) return true;
  return text.length * 3 > AUDIT_MAX_LINE_BYTES && Buffer.byteLength(text, 'utf8') > AUDIT_MAX_LINE_BYTES;
}


