/**
 * The policy gate for the security network (`telemetry.collect` on ingest, `reputation.lookup` on
 * look-ups), decided on every request but not recorded on every request: a look-up would otherwise
 * be an audit write, serialised on the chain's head.
 *
 * The subject is the one the other gates build (policy/gate.ts): location from the client's address
 * through the CIDR table (activations have no registered endpoint country and declare none), person
 * the license holder's country, product the license's. A decision is appended to the audit log
 * (`policy.decision`, with `context.repeats_within_s`) when it differs from the last one recorded
 * for the same caller and action (effect, rule and version, attribute, jurisdiction, subject,
 * location source) or when that one is older than `networkDecisionRecordMs` (default 10 minutes).
 * So repeated identical decisions within the window are represented by the first; every change of
 * outcome is recorded when it first happens. What was last recorded is kept in this process's
 * memory: a restart, or another process, records its first decision again.
 *
 * A decision is remembered per caller, action and address for at most `networkCacheMs` (default
 * 5 s), and never past the next instant at which a rule of the action starts or ends, so a rule
 * taking effect applies from its first millisecond. Rule changes made through this process apply at
 * once (`invalidate`); rules changed, or a CIDR table imported (`vigil cloud geo import`), by another
 * process take up to `networkCacheMs` to reach this gate (the other gates read both on every request).
 */
import { performance } from 'node:perf_hooks';
import type { AuditEntry } from '../audit/audit-log.js';
import type { PolicyAction } from '../policy/actions.js';
import { decide, type Decision, type PolicySubject } from '../policy/decide.js';
import { resolveLocation, type LocationSource } from '../policy/gate.js';
import type { PolicyRule } from '../policy/rule.js';
import type { CloudServices } from '../services.js';
import type { Queryable } from '../store/store.js';
import type { NetworkCaller } from './activation-cache.js';

export interface NetworkGateOutcome {
  decision: Decision;
  subject: PolicySubject;
  locationSource: LocationSource;
}

interface Memo {
  outcome: NetworkGateOutcome;
  signature: string;
  /** Service-clock interval in which the decision holds, and when it was made (monotonic). */
  fromMs: number;
  untilMs: number;
  realAt: number;
  generation: number;
}

const MAX_ENTRIES = 100_000;

/** The first instant after `nowMs` at which a rule of `action` starts or ends (Infinity: none). */
function nextBoundary(rules: readonly PolicyRule[], action: PolicyAction, nowMs: number): number {
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

export class NetworkGate {
  private readonly recorded = new Map<string, { signature: string; atMs: number }>();
  private readonly memos = new Map<string, Memo>();
  private rules: PolicyRule[] | null = null;
  private rulesAt = 0;
  private generation = 0;

  constructor(private readonly s: CloudServices) {}

  invalidate(): void {
    this.generation++;
    this.rules = null;
    this.memos.clear();
  }

  /**
   * Decides for `caller` and, when the decision needs a record, hands `append` the audit entry
   * (to write in the caller's transaction, or in one of its own).
   */
  async pass(q: Queryable, caller: NetworkCaller, action: PolicyAction, ip: string, now: Date, append: (entry: AuditEntry) => Promise<unknown>): Promise<NetworkGateOutcome> {
    const nowMs = now.getTime();
    const memo = await this.decideFor(q, caller, action, ip, now);
    // A remembered decision is restated at this instant where anyone will read it (an allow that is not recorded goes nowhere).
    const stale = memo.fromMs !== nowMs && memo.outcome.decision.decision !== 'allow';
    let outcome = stale ? { ...memo.outcome, decision: { ...memo.outcome.decision, at: now.toISOString() } } : memo.outcome;
    const key = `${caller.activationId}\n${action}`;
    const last = this.recorded.get(key);
    const windowMs = this.s.config.networkDecisionRecordMs;
    if (!last || last.signature !== memo.signature || nowMs < last.atMs || nowMs - last.atMs >= windowMs) {
      // Claimed before writing, so concurrent identical requests write once; given back on failure.
      if (this.recorded.size >= MAX_ENTRIES && !last) this.recorded.clear();
      this.recorded.set(key, { signature: memo.signature, atMs: nowMs });
      if (memo.fromMs !== nowMs && outcome === memo.outcome) outcome = { ...memo.outcome, decision: { ...memo.outcome.decision, at: now.toISOString() } };
      try {
        await append({
          kind: 'policy.decision',
          actor: `activation:${caller.activationId}`,
          tenant: caller.principal.tenantId,
          data: { action, subject: outcome.subject, location_source: outcome.locationSource, decision: outcome.decision, context: { repeats_within_s: Math.round(windowMs / 1000) } },
        });
      } catch (e) {
        this.forget(caller, action);
        throw e;
      }
    }
    return outcome;
  }

  /** Drops what was last recorded for this caller and action (its record was rolled back). */
  forget(caller: NetworkCaller, action: PolicyAction): void {
    this.recorded.delete(`${caller.activationId}\n${action}`);
  }

  private async decideFor(q: Queryable, caller: NetworkCaller, action: PolicyAction, ip: string, now: Date): Promise<Memo> {
    const nowMs = now.getTime();
    const key = `${caller.activationId}\n${action}\n${ip}`;
    const ttl = this.s.config.networkCacheMs;
    const known = this.memos.get(key);
    if (known && known.generation === this.generation && nowMs >= known.fromMs && nowMs < known.untilMs && performance.now() - known.realAt < ttl) return known;
    const generation = this.generation;
    const location = await resolveLocation(q, ip, null, undefined);
    const subject: PolicySubject = {};
    if (location.country) subject.location = location.country;
    if (caller.principal.tenantCountry) subject.person = caller.principal.tenantCountry;
    if (caller.product) subject.product = caller.product;
    const rules = await this.currentRules(q);
    const decision = decide(rules, subject, action, now);
    const memo: Memo = {
      outcome: { decision, subject, locationSource: location.source },
      signature: JSON.stringify([decision.decision, decision.rule, decision.attribute, decision.jurisdiction, subject, location.source]),
      fromMs: nowMs,
      untilMs: Math.min(nowMs + ttl, nextBoundary(rules, action, nowMs)),
      realAt: performance.now(),
      generation,
    };
    if (generation === this.generation) {
      if (this.memos.size >= MAX_ENTRIES) this.memos.clear();
      this.memos.set(key, memo);
    }
    return memo;
  }

  private async currentRules(q: Queryable): Promise<PolicyRule[]> {
    if (this.rules && performance.now() - this.rulesAt < this.s.config.networkCacheMs) return this.rules;
    const generation = this.generation;
    const rules = await this.s.rules.current(q);
    if (generation === this.generation) {
      this.rules = rules;
      this.rulesAt = performance.now();
    }
    return rules;
  }
}
