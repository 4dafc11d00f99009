/**
 * A jurisdiction's data on request: export every stored event from one country, and delete them.
 * Deleting removes the country's events and batch records (a batch comes from one request, so
 * from one country), then rebuilds the aggregates of every hash those events touched from what
 * remains, in one transaction, with an audit record `network.delete` giving the counts. Consent
 * records carry no country and are kept: they are the proof of what was agreed.
 */
import type { NetworkEvent } from '../../protocol/index.js';
import type { Actor } from '../accounts/index.js';
import { appendAudit } from '../audit/index.js';
import { forUpdate, type Queryable } from '../store/index.js';
import { recomputeHashes } from './aggregates.js';

/** A stored event as exported: the reported fields (protocol/network-event.ts) and where and when it came in. */
export interface ExportedEvent extends Omit<NetworkEvent, 'kind'> {
  kind: string;
  received_at: string;
  batch_id: string;
  endpoint: string;
  country: string;
}

const PAGE = 1000;

export async function countCountryEvents(q: Queryable, country: string): Promise<{ events: number; lastId: number }> {
  const row = await q.get<{ n: number; last: number | null }>('SELECT COUNT(*) AS n, MAX(id) AS last FROM network_events WHERE country = ?', [country]);
  return { events: row?.n ?? 0, lastId: row?.last ?? 0 };
}

/** The country's events with ids up to `lastId`, in the order stored, a page at a time. */
export async function* readCountryEvents(q: Queryable, country: string, lastId: number): AsyncGenerator<ExportedEvent> {
  let after = 0;
  for (;;) {
    const rows = await q.all<ExportedEvent & { id: number }>(
      `SELECT id, kind, sha256, size, file_type, detection, engine, db_release AS database, seen_at, received_at, batch_id, endpoint, country
         FROM network_events WHERE country = ? AND id > ? AND id <= ? ORDER BY id LIMIT ?`,
      [country, after, lastId, PAGE],
    );
    for (const { id: _id, ...event } of rows) yield { ...event, size: event.size };
    if (rows.length < PAGE) return;
    after = rows[rows.length - 1]!.id;
  }
}

export interface DeletionCounts {
  country: string;
  events_deleted: number;
  batches_deleted: number;
  hashes_recomputed: number;
  hashes_removed: number;
}

export async function deleteCountryData(tx: Queryable, country: string, actor: Actor): Promise<DeletionCounts> {
  // The audit head first, then hash rows: the lock order every network writer keeps.
  await tx.get(`SELECT seq FROM audit_head WHERE id = 1${forUpdate(tx)}`);
  const touched = (await tx.all<{ sha256: string }>('SELECT DISTINCT sha256 FROM network_events WHERE country = ?', [country])).map((r) => r.sha256);
  const events = (await tx.run('DELETE FROM network_events WHERE country = ?', [country])).changes;
  const batches = (await tx.run('DELETE FROM network_batches WHERE country = ?', [country])).changes;
  const { recomputed, removed } = await recomputeHashes(tx, touched);
  const counts: DeletionCounts = { country, events_deleted: events, batches_deleted: batches, hashes_recomputed: recomputed, hashes_removed: removed };
  await appendAudit(tx, { kind: 'network.delete', actor: actor.name, tenant: null, data: counts }, actor.now);
  return counts;
}
