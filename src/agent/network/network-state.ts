/**
 * What the sender and the look-ups remember between runs, in the store's `state` table: why the
 * cloud stopped collection or look-ups (a jurisdiction rule, missing consent or entitlement), the
 * last successful send, the last error, and the backoff while the cloud is down.
 */
import type Database from 'better-sqlite3';
import type { PolicyDecision } from '../policy-decision.js';

/** Why the cloud stopped the agent; the agent stops until `vigil network enable` (or `status --check`) clears it. */
export type StopReason = 'policy_denied' | 'consent_required' | 'not_entitled';

export interface NetworkStop {
  reason: StopReason;
  /** The cloud's message. */
  message: string;
  /** policy_denied: what stopped, since when, why. */
  decision?: PolicyDecision;
  /** When the agent learnt it (ISO 8601). */
  at: string;
  /** Whether a scan has told the user already (it does once, in one line). */
  announced: boolean;
}

export interface LastSend {
  at: string;
  batch_id: string;
  events: number;
  duplicate: boolean;
}

export interface LastError {
  at: string;
  code: string;
  message: string;
}

export interface Backoff {
  /** Failed attempts in a row. */
  failures: number;
  /** No automatic attempt before this instant (ISO 8601); `vigil network sync` tries anyway. */
  next_attempt_at: string;
}

interface Keys {
  collect_stop: NetworkStop;
  lookup_stop: NetworkStop;
  last_send: LastSend;
  last_error: LastError;
  backoff: Backoff;
  /** The cloud answered 429 to a look-up: none before this instant (ISO 8601). */
  lookup_not_before: string;
  /** The queue's bound, when the user set one (`vigil network enable --max-queue N`). */
  max_events: number;
}

export class NetworkState {
  constructor(private readonly db: Database.Database) {}

  get<K extends keyof Keys>(key: K): Keys[K] | undefined {
    const row = this.db.prepare('SELECT value FROM state WHERE key = ?').get(key) as { value: string } | undefined;
    if (!row) return undefined;
    try {
      return JSON.parse(row.value) as Keys[K];
    } catch {
      return undefined; // unreadable state is no state
    }
  }

  set<K extends keyof Keys>(key: K, value: Keys[K]): void {
    this.db.prepare('INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, JSON.stringify(value));
  }

  clear(key: keyof Keys): void {
    this.db.prepare('DELETE FROM state WHERE key = ?').run(key);
  }

  /** Forgets every stop and the backoff: consent was given again, or the cloud answers again. */
  clearStops(): void {
    for (const key of ['collect_stop', 'lookup_stop', 'backoff', 'lookup_not_before'] as const) this.clear(key);
  }

  recordError(code: string, message: string, now: Date): void {
    this.set('last_error', { at: now.toISOString(), code, message: message.slice(0, 1000) });
  }
}
