/**
 * The one dedup window of the policy gate, for services asked on every request (updates, the
 * security network): an identical decision for one key (an activation and an action) is recorded
 * once per window, every change of outcome when it first happens.
 *
 * Two decisions are identical when their effect, rule and version, attribute, jurisdiction,
 * subject and location source are. What was last recorded is kept in this process's memory: a
 * restart, or another process, records its first decision again.
 */
import type { PolicyDecision } from '../../protocol/index.js';
import type { PolicySubject } from './decide.js';
import type { LocationSource } from './gate-subject.js';

/** The most keys whose last record is remembered (then the memory starts over). */
export const REPEAT_WINDOW_MAX_KEYS = 100_000;

/** What makes two decisions the same record. */
export function summarizeDecision(decision: PolicyDecision, subject: PolicySubject, locationSource: LocationSource): string {
  return JSON.stringify([decision.decision, decision.rule, decision.attribute, decision.jurisdiction, subject, locationSource]);
}

export class RepeatWindow {
  private readonly recorded = new Map<string, { signature: string; atMs: number }>();

  /** @param windowMs how long an identical decision is represented by its first record (ms). */
  constructor(readonly windowMs: number) {}

  /**
   * True when the decision needs a record, and then claims it (so concurrent identical requests
   * write once): a different decision than the last recorded for `key`, or one older than the window.
   */
  claim(key: string, signature: string, nowMs: number): boolean {
    const last = this.recorded.get(key);
    if (last?.signature === signature && nowMs >= last.atMs && nowMs - last.atMs < this.windowMs) return false;
    if (this.recorded.size >= REPEAT_WINDOW_MAX_KEYS && !last) this.recorded.clear();
    this.recorded.set(key, { signature, atMs: nowMs });
    return true;
  }

  /** Gives back a claim made at `atMs` whose record failed (a later claim is kept). */
  release(key: string, atMs: number): void {
    if (this.recorded.get(key)?.atMs === atMs) this.recorded.delete(key);
  }

  /** Drops what was last recorded for `key` (its record was rolled back). */
  forget(key: string): void {
    this.recorded.delete(key);
  }
}
