/**
 * The cloud's append-only audit log: every gated decision and every change of rules, accounts and
 * tokens becomes a record chained to the previous one by its hash (the format is in
 * protocol/audit-chain.ts, so auditors verify exports offline with the same code). The head
 * (last seq and hash) is kept in its own row, locked while appending, so concurrent appends on
 * PostgreSQL stay one chain; on SQLite write transactions are exclusive anyway.
 */
import { AUDIT_GENESIS, chainAuditRecord, createAuditChainVerifier, type AuditRecord } from '../../protocol/index.js';
import { forUpdate, type Queryable } from '../store/index.js';

export interface AuditEntry {
  kind: string;
  /** Who acted: `user:<id>`, `endpoint:<id>` or `system`. */
  actor: string | null;
  /** The tenant the record concerns, so a customer can read its own records. */
  tenant: string | null;
  data: unknown;
}

interface AuditRow {
  seq: number;
  at: string;
  kind: string;
  actor: string | null;
  tenant_id: string | null;
  data: string;
  prev: string;
  hash: string;
}

export async function appendAudit(tx: Queryable, entry: AuditEntry, at: Date): Promise<AuditRecord> {
  const head = await tx.get<{ seq: number; hash: string }>(`SELECT seq, hash FROM audit_head WHERE id = 1${forUpdate(tx)}`);
  if (!head) throw new Error('audit head row is missing: the store was not migrated');
  // chainAuditRecord checks every field and the line limit, and keeps data in canonical form, so
  // what is read back hashes the same. It needs only the previous record's seq and hash.
  const prev = head.seq === 0 ? null : ({ seq: head.seq, hash: head.hash } as AuditRecord);
  const record = chainAuditRecord(prev, { at, kind: entry.kind, actor: entry.actor, tenant: entry.tenant, data: entry.data });
  await tx.run('INSERT INTO audit_log (seq, at, kind, actor, tenant_id, data, prev, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [
    record.seq,
    record.at,
    record.kind,
    record.actor,
    record.tenant,
    // Any JSON text of the data will do: verification hashes its canonical form, not these bytes.
    JSON.stringify(record.data),
    record.prev,
    record.hash,
  ]);
  await tx.run('UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1', [record.seq, record.hash]);
  return record;
}

function toRecord(row: AuditRow): AuditRecord {
  return { seq: row.seq, at: row.at, kind: row.kind, actor: row.actor, tenant: row.tenant_id, data: JSON.parse(row.data) as unknown, prev: row.prev, hash: row.hash };
}

export interface AuditQuery {
  afterSeq?: number;
  limit: number;
  /** Only records of this tenant (for customer admins). */
  tenant?: string | undefined;
  kind?: string | undefined;
}

export async function listAudit(q: Queryable, query: AuditQuery): Promise<AuditRecord[]> {
  const where: string[] = ['seq > ?'];
  const params: (string | number)[] = [query.afterSeq ?? 0];
  if (query.tenant !== undefined) {
    where.push('tenant_id = ?');
    params.push(query.tenant);
  }
  if (query.kind !== undefined) {
    where.push('kind = ?');
    params.push(query.kind);
  }
  const rows = await q.all<AuditRow>(`SELECT * FROM audit_log WHERE ${where.join(' AND ')} ORDER BY seq LIMIT ?`, [...params, query.limit]);
  return rows.map(toRecord);
}

export async function readAuditHead(q: Queryable): Promise<{ seq: number; hash: string }> {
  return (await q.get<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_head WHERE id = 1')) ?? { seq: 0, hash: AUDIT_GENESIS };
}

/** Pages through the whole log in order (for exports and verification). */
export async function* readAllAudit(q: Queryable, pageSize = 1000, tenant?: string): AsyncGenerator<AuditRecord> {
  let after = 0;
  for (;;) {
    const page = await listAudit(q, { afterSeq: after, limit: pageSize, tenant });
    for (const r of page) yield r;
    if (page.length < pageSize) return;
    after = page[page.length - 1]!.seq;
  }
}

export type StoredAuditCheck = { ok: true; count: number; head: string } | { ok: false; seq: number; reason: string };

/** Re-checks the stored chain from the first record, and that it ends at the stored head. */
export async function verifyStoredAudit(q: Queryable): Promise<StoredAuditCheck> {
  const verifier = createAuditChainVerifier();
  for await (const record of readAllAudit(q)) verifier.push(record);
  const result = verifier.finish();
  if (!result.ok) return { ok: false, seq: result.seq, reason: result.reason };
  const head = await readAuditHead(q);
  if (head.seq !== result.count || head.hash !== result.head) {
    return { ok: false, seq: head.seq, reason: `the log ends at record ${result.count} (${result.head}) but the head says ${head.seq} (${head.hash}): records were removed or the head altered` };
  }
  return result;
}
