/**
 * The sender: takes batches from the queue and posts them to the cloud until the queue is empty,
 * the time is up, or the cloud says stop.
 *
 * - Consent is read again before every request: after `vigil network disable` nothing more is sent.
 * - A batch keeps its id across retries (event-queue.ts), so a batch the cloud received but whose
 *   acknowledgement was lost is counted once.
 * - While the cloud is down (no answer, 5xx, 429), retries wait with exponential backoff and full
 *   jitter (backoff.ts); a Retry-After is a floor. The backoff is kept in the store, so automatic
 *   sends (the end of a scan) do not knock on a cloud that is known to be down.
 * - `policy_denied`, `consent_required` and `not_entitled` stop collection: the reason is kept,
 *   the queue is kept and not sent, until consent is given again.
 * - A conflict (409: the batch id with other content) or an invalid request (400) is a bug, not a
 *   reason to retry: the batch is set aside (quarantined), logged, and the sender goes on.
 */
import { NETWORK_EVENT_KINDS, categoryOfKind } from '../../protocol/index.js';
import { allows, readConsent } from './consent.js';
import { backoffDelay, systemClock, type Clock } from './backoff.js';
import { BATCH_MAX_EVENTS } from './event-queue.js';
import type { NetworkClient } from './network-client.js';
import { NetworkError } from './network-error.js';
import type { EventKind } from './network-event.js';
import type { NetworkStop, StopReason } from './network-state.js';
import type { NetworkStore } from './network-store.js';

/** The longest Retry-After honoured, in seconds (6 hours). */
export const RETRY_AFTER_MAX_SECONDS = 6 * 3600;

const ALL_KINDS: EventKind[] = [...NETWORK_EVENT_KINDS];

export interface SyncOptions {
  agentDir: string;
  store: NetworkStore;
  client: NetworkClient;
  /** Stop trying at this instant (milliseconds since the epoch of clock.now()). */
  deadline: number;
  /** Wait and retry while the cloud is down (`vigil network sync`); false: one pass, the backoff kept for next time. */
  retry: boolean;
  /** Do nothing while the stored backoff says not yet (automatic sends). */
  respectBackoff?: boolean;
  batchSize?: number;
  clock?: Clock;
  /** Where a quarantined batch is reported (stderr in the CLI). */
  log?: (line: string) => void;
}

export type SyncOutcome =
  | 'done' // nothing (more) to send
  | 'not_enabled' // no consent
  | 'stopped' // the cloud stopped collection: see `stop`
  | 'unreachable' // the cloud is down or busy; the backoff says when to try again
  | 'backing_off' // respectBackoff, and it is not yet time
  | 'deadline' // time ran out with batches left
  | 'refused'; // the cloud refused this machine's credential (UNAUTHENTICATED)

export interface SyncResult {
  outcome: SyncOutcome;
  /** Events the cloud acknowledged in this run. */
  sent: number;
  batches: number;
  duplicates: number;
  quarantined: number;
  /** Events still waiting (quarantined ones not counted). */
  remaining: number;
  stop?: NetworkStop;
  error?: NetworkError;
  /** When an automatic send may try again. */
  nextAttemptAt?: string;
}

const STOPS: Partial<Record<NetworkError['code'], StopReason>> = {
  POLICY_DENIED: 'policy_denied',
  CONSENT_REQUIRED: 'consent_required',
  NOT_ENTITLED: 'not_entitled',
};

/** The stop that `e` calls for, if any. */
export function stopFor(e: NetworkError, now: Date): NetworkStop | undefined {
  const reason = STOPS[e.code];
  if (!reason) return undefined;
  return { reason, message: e.message, ...(e.server?.decision ? { decision: e.server.decision } : {}), at: now.toISOString(), announced: false };
}

export async function syncQueue(options: SyncOptions): Promise<SyncResult> {
  const clock = options.clock ?? systemClock;
  const { store, client } = options;
  const { queue, state } = store;
  const result: SyncResult = { outcome: 'done', sent: 0, batches: 0, duplicates: 0, quarantined: 0, remaining: 0 };
  const finish = (outcome: SyncOutcome): SyncResult => {
    result.outcome = outcome;
    result.remaining = queue.pending();
    return result;
  };
  let failures = 0;
  for (;;) {
    const consent = readConsent(options.agentDir);
    if (!consent?.enabled) return finish('not_enabled');
    // Events of a category no longer consented to are never sent (enable purges them too).
    const kinds = ALL_KINDS.filter((k) => allows(consent, categoryOfKind(k)));
    const withdrawn = ALL_KINDS.filter((k) => !kinds.includes(k));
    if (withdrawn.length > 0) queue.purge('category_withdrawn', withdrawn);
    const stop = state.get('collect_stop');
    if (stop) {
      result.stop = stop;
      return finish('stopped');
    }
    const now = clock.now();
    const backoff = state.get('backoff');
    if (options.respectBackoff && backoff && Date.parse(backoff.next_attempt_at) > now.getTime()) {
      result.nextAttemptAt = backoff.next_attempt_at;
      return finish('backing_off');
    }
    const remainingMs = options.deadline - now.getTime();
    const batch = queue.nextBatch(kinds, now, options.batchSize ?? BATCH_MAX_EVENTS);
    if (!batch) return finish('done');
    if (remainingMs <= 0) return finish('deadline');
    queue.markAttempt(batch.id, now);
    try {
      const ack = await client.sendEvents(batch.id, batch.events, { timeoutMs: remainingMs });
      const removed = queue.acknowledge(batch.id, ack.duplicate);
      const at = clock.now();
      state.set('last_send', { at: at.toISOString(), batch_id: batch.id, events: removed, duplicate: ack.duplicate });
      state.clear('backoff');
      failures = 0;
      result.sent += removed;
      result.batches++;
      if (ack.duplicate) result.duplicates++;
    } catch (e) {
      if (!(e instanceof NetworkError)) throw e;
      const at = clock.now();
      state.recordError(e.code, e.message, at);
      result.error = e;
      const stopped = stopFor(e, at);
      if (stopped) {
        state.set('collect_stop', stopped);
        result.stop = stopped;
        return finish('stopped');
      }
      if (e.code === 'CONFLICT' || e.code === 'INVALID_REQUEST') {
        queue.quarantine(batch.id, `${e.code}: ${e.message}`, at);
        result.quarantined++;
        options.log?.(`WARNING: the cloud refused batch ${batch.id} of ${batch.events.length} events (${e.server?.status ?? ''} ${e.server?.code ?? e.code}: ${e.message}); it is set aside and will not be sent again`);
        continue;
      }
      if (e.code === 'UNAUTHENTICATED') return finish('refused');
      // The cloud is down, slow or busy: back off.
      failures++;
      const stored = (backoff?.failures ?? 0) + 1;
      const floorMs = Math.min(e.server?.retryAfterSeconds ?? 0, RETRY_AFTER_MAX_SECONDS) * 1000;
      const delay = Math.max(backoffDelay(options.retry ? failures : stored, () => clock.random()), floorMs);
      const next = new Date(at.getTime() + delay).toISOString();
      state.set('backoff', { failures: stored, next_attempt_at: next });
      result.nextAttemptAt = next;
      if (!options.retry || at.getTime() + delay >= options.deadline) return finish('unreachable');
      await clock.sleep(delay);
    }
  }
}
