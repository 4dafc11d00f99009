/**
 * Storing a batch of events, exactly once. A batch is named by its endpoint and the `batch_id` the
 * agent chose; the first arrival stores its events and adds them to the aggregates, in one
 * transaction with the batch row. A batch id that arrives again with the same content (a retry,
 * however many run at once) is answered as a duplicate and counts nothing; with other content it
 * is a conflict. "Same content" is the SHA-256 of the validated events in a fixed field order.
 *
 * The unique key (endpoint, batch_id) decides between concurrent copies: on PostgreSQL the second
 * insert waits for the first transaction and then finds its row; SQLite runs them one by one.
 * What is stored about the sender is its pseudonym and its country, never its address.
 */
import { createHash } from 'node:crypto';
import type { Queryable } from '../store/index.js';
import { addToAggregates } from './aggregates.js';
import { forEachRow } from './bulk-sql.js';
import type { NetworkEvent } from './event-schema.js';

export interface BatchContext {
  endpoint: string;
  batchId: string;
  country: string | null;
  receivedAt: Date;
}

export type BatchOutcome = { status: 'stored'; accepted: number } | { status: 'duplicate'; accepted: number } | { status: 'conflict' };

export function batchDigest(events: readonly NetworkEvent[]): string {
  const canonical = events.map((e) => [e.kind, e.sha256, e.size, e.file_type, e.detection, e.engine, e.database, e.seen_at]);
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

export async function storeBatch(tx: Queryable, events: readonly NetworkEvent[], ctx: BatchContext): Promise<BatchOutcome> {
  const digest = batchDigest(events);
  const receivedAt = ctx.receivedAt.toISOString();
  const { changes } = await tx.run('INSERT INTO network_batches (endpoint, batch_id, digest, events, received_at, country) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (endpoint, batch_id) DO NOTHING', [
    ctx.endpoint,
    ctx.batchId,
    digest,
    events.length,
    receivedAt,
    ctx.country,
  ]);
  if (changes === 0) {
    const prior = await tx.get<{ digest: string; events: number }>('SELECT digest, events FROM network_batches WHERE endpoint = ? AND batch_id = ?', [ctx.endpoint, ctx.batchId]);
    return prior?.digest === digest ? { status: 'duplicate', accepted: prior.events } : { status: 'conflict' };
  }
  const rows = events.map((e) => ({
    endpoint: ctx.endpoint,
    batch_id: ctx.batchId,
    kind: e.kind,
    sha256: e.sha256,
    size: e.size,
    file_type: e.file_type,
    detection: e.detection,
    engine: e.engine,
    db_release: e.database,
    seen_at: e.seen_at,
    received_at: receivedAt,
    country: ctx.country,
  }));
  const columns = { endpoint: 'text', batch_id: 'text', kind: 'text', sha256: 'text', size: 'bigint', file_type: 'text', detection: 'text', engine: 'text', db_release: 'text', seen_at: 'text', received_at: 'text', country: 'text' } as const;
  const list = Object.keys(columns).join(', ');
  await forEachRow(tx, columns, rows, {
    sqlite: `INSERT INTO network_events (${list}) VALUES (${Object.keys(columns).map(() => '?').join(', ')})`,
    postgres: (source) => `INSERT INTO network_events (${list}) SELECT ${list} FROM ${source} AS j`,
  });
  await addToAggregates(tx, events, ctx.endpoint, ctx.country, receivedAt);
  return { status: 'stored', accepted: events.length };
}
