/**
 * Remembered decisions, for gated requests that come too often to read the rules and the CIDR table
 * each time (the security network's look-ups and batches).
 *
 * A decision is remembered per key (an activation, an action and an address) for at most `ttlMs`,
 * and never past the next instant at which a rule of the action starts or ends, so a rule taking
 * effect applies from its first millisecond. The rules themselves are kept for `ttlMs`.
 * `invalidate` forgets everything at once (rule, license or activation changes made through this
 * process); changes made by another process take up to `ttlMs` to reach a process that remembers.
 */
import { performance } from 'node:perf_hooks';
import type { PolicyAction } from '../../protocol/index.js';
import type { PolicyRule } from './rule.js';
import type { ActiveRules } from './rule-store.js';
import type { Queryable } from '../store/index.js';

/** The most decisions remembered (then the memory starts over). */
export const DECISION_CACHE_MAX_ENTRIES = 100_000;

export interface Remembered<T> {
  value: T;
  /** The service-clock instant it was decided at (ms). */
  fromMs: number;
}

interface Entry<T> extends Remembered<T> {
  untilMs: number;
  realAt: number;
  generation: number;
}

/** The first instant after `nowMs` at which a rule of `action` starts or ends (Infinity: none). */
export function findNextBoundary(rules: readonly PolicyRule[], action: PolicyAction, nowMs: number): number {
  let next = Infinity;
  for (const rule of rules) {
    if (rule.action !== action) continue;
    for (const at of [rule.fromUtc, rule.untilUtc]) {
      const ms = at === undefined ? NaN : Date.parse(at);
      if (ms > nowMs && ms < next) next = ms;
    }
  }
  return next;
}

export class DecisionCache<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private rules: PolicyRule[] | null = null;
  private rulesAt = 0;
  private generation = 0;

  constructor(
    private readonly source: ActiveRules,
    private readonly ttlMs: number,
  ) {}

  invalidate(): void {
    this.generation++;
    this.rules = null;
    this.entries.clear();
  }

  /** The remembered value for `key` at `now`, or a fresh one from `make` (given the rules in force). */
  async remember(q: Queryable, key: string, action: PolicyAction, now: Date, make: (rules: readonly PolicyRule[]) => Promise<T>): Promise<Remembered<T>> {
    const nowMs = now.getTime();
    const known = this.entries.get(key);
    if (known?.generation === this.generation && nowMs >= known.fromMs && nowMs < known.untilMs && performance.now() - known.realAt < this.ttlMs) return known;
    const generation = this.generation;
    const rules = await this.currentRules(q);
    const entry: Entry<T> = {
      value: await make(rules),
      fromMs: nowMs,
      untilMs: Math.min(nowMs + this.ttlMs, findNextBoundary(rules, action, nowMs)),
      realAt: performance.now(),
      generation,
    };
    if (generation === this.generation) {
      if (this.entries.size >= DECISION_CACHE_MAX_ENTRIES) this.entries.clear();
      this.entries.set(key, entry);
    }
    return entry;
  }

  private async currentRules(q: Queryable): Promise<PolicyRule[]> {
    if (this.rules && performance.now() - this.rulesAt < this.ttlMs) return this.rules;
    const generation = this.generation;
    const rules = await this.source.current(q);
    if (generation === this.generation) {
      this.rules = rules;
      this.rulesAt = performance.now();
    }
    return rules;
  }
}
