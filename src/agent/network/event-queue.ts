/**
 * The durable event queue: events wait in SQLite (network-store.ts) until the cloud acknowledges
 * them.
 *
 * Delivery without loss or double counting:
 * 1. An event is committed (WAL, synchronous=FULL) before enqueue returns.
 * 2. Before the first send, events are assigned to a batch whose random UUID is committed with
 *    them; a retry, even after a crash or kill -9, sends the same events under the same id, and
 *    the cloud counts a batch id once.
 * 3. A batch and its events are deleted only after the cloud acknowledged it (200, duplicate or
 *    not), in one transaction.
 * A batch the cloud refuses as a conflict (the same id with other content: a bug) is set aside
 * (quarantined) and never sent again; at most QUARANTINE_MAX_BATCHES are kept.
 *
 * Bounded: at most `maxEvents` events (sent or not yet acknowledged, quarantined included). When
 * full, new events are dropped (the newest; what is queued keeps its place and its batch ids) and
 * counted by reason in `counters`, which `vigil network status` shows.
 */
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { checkEvent, type EventKind, type NetworkEvent } from './network-event.js';

/** Events kept at most (default); `vigil network` takes --max-queue. */
export const DEFAULT_QUEUE_MAX_EVENTS = 100_000;
/** Events per batch sent (the cloud accepts 1 to 1000). */
export const BATCH_MAX_EVENTS = 500;
/** Quarantined batches kept for inspection; older ones are deleted (counted as `quarantine_full`). */
export const QUARANTINE_MAX_BATCHES = 10;
/** An unknown executable is queued again for the same hash at most this often, in milliseconds. */
export const UNKNOWN_REPORT_INTERVAL_MS = 7 * 86_400_000;

/** Why events were dropped unsent. */
export type DropReason =
  | 'queue_full' // the queue held maxEvents: the newest were dropped
  | 'consent_withdrawn' // `vigil network disable` deletes what was queued
  | 'category_withdrawn' // consent given again without a category that had events queued
  | 'quarantine_full'; // a quarantined batch made room for a newer one
export const DROP_REASONS: readonly DropReason[] = ['queue_full', 'consent_withdrawn', 'category_withdrawn', 'quarantine_full'];

export interface QueuedBatch {
  id: string;
  /** Sends tried before this one. */
  attempts: number;
  events: NetworkEvent[];
}

export interface EnqueueOutcome {
  queued: number;
  dropped: number;
  /** Unknown executables already reported within UNKNOWN_REPORT_INTERVAL_MS (not queued, not dropped). */
  repeated: number;
}

export interface QueueStats {
  /** Events in the queue (waiting, in batches, quarantined). */
  events: number;
  /** ... of which assigned to a batch that is waiting for its acknowledgement. */
  inBatches: number;
  quarantinedBatches: number;
  quarantinedEvents: number;
  acknowledged: number;
  duplicateBatches: number;
  dropped: Record<DropReason, number>;
  maxEvents: number;
}

/** A queued row has the event's columns (and others, which toEvent leaves out). */
type EventRow = NetworkEvent;

const toEvent = (r: EventRow): NetworkEvent => ({ kind: r.kind, sha256: r.sha256, size: r.size, file_type: r.file_type, detection: r.detection, engine: r.engine, database: r.database, seen_at: r.seen_at });

export class EventQueue {
  readonly maxEvents: number;

  constructor(
    private readonly db: Database.Database,
    options: { maxEvents?: number } = {},
  ) {
    this.maxEvents = options.maxEvents ?? DEFAULT_QUEUE_MAX_EVENTS;
  }

  private bump(name: string, by: number): void {
    if (by === 0) return;
    this.db.prepare('INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = value + excluded.value').run(name, by);
  }

  private counter(name: string): number {
    return (this.db.prepare('SELECT value FROM counters WHERE name = ?').get(name) as { value: number } | undefined)?.value ?? 0;
  }

  private count(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
  }

  /**
   * Queues `events` in one transaction, committed when this returns. Beyond the bound the newest
   * are dropped and counted; an unknown executable reported recently is not queued again.
   */
  enqueue(events: NetworkEvent[], now: Date = new Date()): EnqueueOutcome {
    const checked = events.map(checkEvent);
    return this.db
      .transaction((): EnqueueOutcome => {
        let space = Math.max(0, this.maxEvents - this.count());
        const insert = this.db.prepare('INSERT INTO events (kind, sha256, size, file_type, detection, engine, database, seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
        const recent = this.db.prepare('SELECT at FROM reported_unknown WHERE sha256 = ?');
        const mark = this.db.prepare('INSERT INTO reported_unknown (sha256, at) VALUES (?, ?) ON CONFLICT(sha256) DO UPDATE SET at = excluded.at');
        const out: EnqueueOutcome = { queued: 0, dropped: 0, repeated: 0 };
        for (const e of checked) {
          if (e.kind === 'unknown-executable') {
            const last = recent.get(e.sha256) as { at: number } | undefined;
            if (last && now.getTime() - last.at < UNKNOWN_REPORT_INTERVAL_MS) {
              out.repeated++;
              continue;
            }
          }
          if (space === 0) {
            out.dropped++;
            continue;
          }
          insert.run(e.kind, e.sha256, e.size, e.file_type, e.detection, e.engine, e.database, e.seen_at);
          if (e.kind === 'unknown-executable') mark.run(e.sha256, now.getTime());
          space--;
          out.queued++;
        }
        this.bump('dropped.queue_full', out.dropped);
        this.db.prepare('DELETE FROM reported_unknown WHERE at < ?').run(now.getTime() - UNKNOWN_REPORT_INTERVAL_MS);
        return out;
      })
      .immediate();
  }

  /**
   * The batch to send next: the oldest one already assigned and not acknowledged (a retry, with its
   * id and content unchanged), else a new one of up to `maxEvents` waiting events of `kinds`, whose
   * id is committed before this returns. Undefined when nothing waits.
   */
  nextBatch(kinds: readonly EventKind[], now: Date = new Date(), maxEvents = BATCH_MAX_EVENTS): QueuedBatch | undefined {
    return this.db
      .transaction((): QueuedBatch | undefined => {
        let batch = this.db.prepare('SELECT id, attempts FROM batches WHERE quarantined_at IS NULL ORDER BY created_at, rowid LIMIT 1').get() as { id: string; attempts: number } | undefined;
        if (!batch) {
          if (kinds.length === 0) return undefined;
          const marks = kinds.map(() => '?').join(', ');
          const waiting = this.db.prepare(`SELECT seq FROM events WHERE batch_id IS NULL AND kind IN (${marks}) ORDER BY seq LIMIT ?`).all(...kinds, maxEvents) as { seq: number }[];
          if (waiting.length === 0) return undefined;
          batch = { id: randomUUID(), attempts: 0 };
          this.db.prepare('INSERT INTO batches (id, created_at) VALUES (?, ?)').run(batch.id, now.toISOString());
          const assign = this.db.prepare('UPDATE events SET batch_id = ? WHERE seq = ?');
          for (const { seq } of waiting) assign.run(batch.id, seq);
        }
        const rows = this.db.prepare('SELECT kind, sha256, size, file_type, detection, engine, database, seen_at FROM events WHERE batch_id = ? ORDER BY seq').all(batch.id) as EventRow[];
        if (rows.length === 0) {
          // Emptied by a purge in another process: nothing to send under this id.
          this.db.prepare('DELETE FROM batches WHERE id = ?').run(batch.id);
          return undefined;
        }
        return { id: batch.id, attempts: batch.attempts, events: rows.map(toEvent) };
      })
      .immediate();
  }

  /** Notes a send about to be tried (committed before the request goes out). */
  markAttempt(id: string, now: Date = new Date()): void {
    this.db.prepare('UPDATE batches SET attempts = attempts + 1, last_attempt_at = ? WHERE id = ?').run(now.toISOString(), id);
  }

  /** The cloud acknowledged batch `id`: its events leave the queue. Returns how many. */
  acknowledge(id: string, duplicate: boolean): number {
    return this.db
      .transaction(() => {
        const removed = this.db.prepare('DELETE FROM events WHERE batch_id = ?').run(id).changes;
        const had = this.db.prepare('DELETE FROM batches WHERE id = ?').run(id).changes;
        if (had > 0) {
          this.bump('acknowledged', removed);
          if (duplicate) this.bump('batches.duplicate', 1);
        }
        return removed;
      })
      .immediate();
  }

  /** Sets batch `id` aside, never to be sent again (the cloud called it a conflict: a bug to look into). */
  quarantine(id: string, reason: string, now: Date = new Date()): void {
    this.db
      .transaction(() => {
        this.db.prepare('UPDATE batches SET quarantined_at = ?, quarantine_reason = ? WHERE id = ?').run(now.toISOString(), reason.slice(0, 500), id);
        const kept = this.db.prepare('SELECT id FROM batches WHERE quarantined_at IS NOT NULL ORDER BY quarantined_at DESC, rowid DESC').all() as { id: string }[];
        for (const old of kept.slice(QUARANTINE_MAX_BATCHES)) {
          this.bump('dropped.quarantine_full', this.db.prepare('DELETE FROM events WHERE batch_id = ?').run(old.id).changes);
          this.db.prepare('DELETE FROM batches WHERE id = ?').run(old.id);
        }
        this.bump('batches.quarantined', 1);
      })
      .immediate();
  }

  /**
   * Deletes the queued events of `kinds` (all kinds when omitted), counting them under `reason`.
   * A batch that loses events but keeps others is dissolved: its remaining events get a new batch
   * id, since sending other content under the old id would be a conflict.
   */
  purge(reason: DropReason, kinds?: readonly EventKind[]): number {
    return this.db
      .transaction(() => {
        let removed: number;
        if (kinds === undefined) {
          removed = this.db.prepare('DELETE FROM events').run().changes;
          this.db.prepare('DELETE FROM batches').run();
        } else {
          if (kinds.length === 0) return 0;
          const marks = kinds.map(() => '?').join(', ');
          const touched = this.db.prepare(`SELECT DISTINCT b.id AS id FROM events e JOIN batches b ON e.batch_id = b.id WHERE e.kind IN (${marks}) AND b.quarantined_at IS NULL`).all(...kinds) as { id: string }[];
          removed = this.db.prepare(`DELETE FROM events WHERE kind IN (${marks})`).run(...kinds).changes;
          for (const { id } of touched) {
            this.db.prepare('UPDATE events SET batch_id = NULL WHERE batch_id = ?').run(id);
            this.db.prepare('DELETE FROM batches WHERE id = ?').run(id);
          }
        }
        this.bump(`dropped.${reason}`, removed);
        return removed;
      })
      .immediate();
  }

  stats(): QueueStats {
    const q = this.db.prepare('SELECT count(*) AS n FROM batches WHERE quarantined_at IS NOT NULL').get() as { n: number };
    const qe = this.db.prepare('SELECT count(*) AS n FROM events e JOIN batches b ON e.batch_id = b.id WHERE b.quarantined_at IS NOT NULL').get() as { n: number };
    const inBatches = this.db.prepare('SELECT count(*) AS n FROM events e JOIN batches b ON e.batch_id = b.id WHERE b.quarantined_at IS NULL').get() as { n: number };
    return {
      events: this.count(),
      inBatches: inBatches.n,
      quarantinedBatches: q.n,
      quarantinedEvents: qe.n,
      acknowledged: this.counter('acknowledged'),
      duplicateBatches: this.counter('batches.duplicate'),
      dropped: Object.fromEntries(DROP_REASONS.map((r) => [r, this.counter(`dropped.${r}`)])) as Record<DropReason, number>,
      maxEvents: this.maxEvents,
    };
  }

  /** Events waiting to be sent (not quarantined), for "some remain" answers. */
  pending(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM events e LEFT JOIN batches b ON e.batch_id = b.id WHERE b.quarantined_at IS NULL').get() as { n: number }).n;
  }
}
