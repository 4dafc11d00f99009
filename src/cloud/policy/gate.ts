/**
 * The one policy gate (DESIGN.md section 6): every gated cloud action passes it, with a typed
 * action (src/protocol/policy-actions.ts). One call builds the subject (gate-subject.ts), decides,
 * records the decision in the audit chain (decision-record.ts), and puts it in words
 * (gate-notice.ts). A new gated service needs one call:
 *
 *     await s.gate.check({ action: 'intel.feed', actor, tenantId, personCountry, ip }, 'reading threat-intelligence feeds');
 *
 * `pass` decides and records: in the caller's transaction when it gives one, so that the decision
 * and the action it allowed commit together; otherwise in a transaction of its own. `check` also
 * answers a deny with 403 `policy_denied`, its record committed. `run` does an action behind one or
 * more decisions (a transfer asks for both parties) in one transaction.
 *
 * Services asked on every request give a `repeatKey` (an activation and an action): identical
 * decisions for it are then recorded once per window (repeat-window.ts, `networkDecisionRecordMs`,
 * default 10 minutes, with `context.repeats_within_s`), and with `remember` the decision itself is
 * kept for a few seconds (decision-cache.ts, `networkCacheMs`) so that the rules and the CIDR table
 * are not read on every request. A remembered decision is restated at the instant asked about.
 */
import type { KeyObject } from 'node:crypto';
import type { PolicyAction, PolicyDecision, SignedPolicyNotice } from '../../protocol/index.js';
import type { CloudConfig, Clock } from '../config.js';
import type { Queryable, Store } from '../store/index.js';
import { decide, type PolicySubject } from './decide.js';
import { DecisionCache, type Remembered } from './decision-cache.js';
import { recordDecision } from './decision-record.js';
import { deniedError, noticeOf, issueSignedNotice, type NoticeOut } from './gate-notice.js';
import { buildSubject, type BuiltSubject, type LocationSource, type SubjectSource } from './gate-subject.js';
import { RepeatWindow, summarizeDecision } from './repeat-window.js';
import type { PolicyRule } from './rule.js';
import type { ActiveRules } from './rule-store.js';

export interface GateRequest extends SubjectSource {
  action: PolicyAction;
  /** Who asks, for the audit record: `user:<id>`, `endpoint:<id>`, `license:<id>`, `activation:<id>`. */
  actor: string;
  /** The tenant the decision concerns (its records are visible to its admins). */
  tenantId: string | null;
  /** Anything else the record should say (e.g. the license or the other party of a transfer). */
  context?: Record<string, unknown>;
  /** Identical decisions for this key are recorded once per window instead of every time. */
  repeatKey?: string;
  /** With `repeatKey`: the decision may be remembered for this key and address for a few seconds. */
  remember?: boolean;
  /** The activation a signed notice is issued to: a deny or notice outcome then carries one. */
  noticeTo?: string;
}

export interface GateOutcome {
  decision: PolicyDecision;
  subject: PolicySubject;
  locationSource: LocationSource;
  /** The audit record written, or null when the decision repeats one recorded within the window. */
  auditSeq: number | null;
  /** For a `notice` decision: what the answer carries in `notices`. */
  notice?: NoticeOut;
  /** For deny and notice with `noticeTo`: the notice signed with the vendor key. */
  signedNotice?: SignedPolicyNotice;
}

/** What the gate needs of the cloud's services. */
export interface GateServices {
  store: Store;
  rules: ActiveRules;
  config: Pick<CloudConfig, 'networkCacheMs' | 'networkDecisionRecordMs'>;
  now: Clock;
  licenseKey: { privateKey: KeyObject };
}

export interface PassOptions {
  /** Record in this transaction (the caller's); default: a transaction of the gate's own. */
  tx?: Queryable;
  /** The instant decided about; default the services' clock. */
  now?: Date;
}

type Decided = BuiltSubject & { decision: PolicyDecision };

/** Who an activation (the agent's way in) stands for. */
export interface ActivationSubject {
  activationId: string;
  /** The license holder's tenant and its country (the person jurisdiction). */
  tenantId: string;
  tenantCountry: string | null;
  /** The license's product. */
  product: string | null | undefined;
}

/**
 * The request of an activation asking `action` from `ip`: actor `activation:<id>`, person the
 * holder's country, product the license's; its identical decisions are recorded once per window.
 */
export function buildActivationRequest(who: ActivationSubject, action: PolicyAction, ip: string): GateRequest {
  return { action, actor: `activation:${who.activationId}`, tenantId: who.tenantId, personCountry: who.tenantCountry, ip, product: who.product, repeatKey: `${who.activationId}\n${action}` };
}

export class PolicyGate {
  private readonly window: RepeatWindow;
  private readonly cache: DecisionCache<Decided>;

  constructor(private readonly s: GateServices) {
    this.window = new RepeatWindow(s.config.networkDecisionRecordMs);
    this.cache = new DecisionCache(s.rules, s.config.networkCacheMs);
  }

  /** Forgets remembered decisions and rules (the server calls it after a route that changes them). */
  invalidate(): void {
    this.cache.invalidate();
  }

  /**
   * Forgets what was last recorded for `request`'s repeat key: for a caller whose own transaction,
   * which held the record, rolled back (`run` does this itself).
   */
  forget(request: GateRequest): void {
    if (request.repeatKey !== undefined) this.window.forget(request.repeatKey);
  }

  /** Decides for `request` and records the decision (see the module header). */
  async pass(request: GateRequest, options: PassOptions = {}): Promise<GateOutcome> {
    const now = options.now ?? this.s.now();
    const tx = options.tx;
    // An unconditional record reads and writes in one transaction.
    if (tx === undefined && request.repeatKey === undefined) return this.s.store.transaction((own) => this.pass(request, { tx: own, now }));
    const made = await this.decideFor(tx ?? this.s.store, request, now);
    const { subject, locationSource } = made.value;
    const nowMs = now.getTime();
    const key = request.repeatKey;
    const needsRecord = key === undefined || this.window.claim(key, summarizeDecision(made.value.decision, subject, locationSource), nowMs);
    // A remembered decision is restated at this instant where anyone will read it (an allow that is not recorded goes nowhere).
    const restate = made.fromMs !== nowMs && (needsRecord || made.value.decision.decision !== 'allow');
    const decision = restate ? { ...made.value.decision, at: now.toISOString() } : made.value.decision;
    let auditSeq: number | null = null;
    if (needsRecord) {
      const context = key === undefined ? request.context : { ...request.context, repeats_within_s: Math.round(this.window.windowMs / 1000) };
      const record = { action: request.action, actor: request.actor, tenantId: request.tenantId, subject, locationSource, decision, context };
      try {
        auditSeq = tx === undefined ? await this.s.store.transaction((own) => recordDecision(own, record, now)) : await recordDecision(tx, record, now);
      } catch (e) {
        if (key !== undefined) this.window.release(key, nowMs);
        throw e;
      }
    }
    const outcome: GateOutcome = { decision, subject, locationSource, auditSeq };
    const notice = noticeOf(decision);
    if (notice) outcome.notice = notice;
    const signed = request.noticeTo === undefined ? undefined : issueSignedNotice(decision, request.noticeTo, now, this.s.licenseKey.privateKey);
    if (signed) outcome.signedNotice = signed;
    return outcome;
  }

  /** `pass`, and a deny answered with 403 `policy_denied` ("`what` is not allowed ..."), its record kept. */
  async check(request: GateRequest, what: string, options: PassOptions = {}): Promise<GateOutcome> {
    const outcome = await this.pass(request, options);
    if (outcome.decision.decision === 'deny') throw deniedError(outcome.decision, what);
    return outcome;
  }

  /**
   * Runs `action` behind the decisions on `requests`, in one transaction. They are asked in order;
   * the first deny commits the decisions so far and nothing else, and answers 403. Allow and notice
   * run the action, and notices travel along in the answer's `notices`. Anything thrown (by
   * `requests` or `action`) rolls back the decisions too: nothing was decided about an action that
   * could not be attempted.
   */
  async run<T extends object>(
    what: string,
    requests: (tx: Queryable) => Promise<GateRequest[]>,
    action: (tx: Queryable, outcomes: GateOutcome[]) => Promise<T>,
    options: Pick<PassOptions, 'now'> = {},
  ): Promise<T & { notices?: NoticeOut[] }> {
    const now = options.now ?? this.s.now();
    const passed: GateRequest[] = [];
    let result: { denied: PolicyDecision } | { done: T & { notices?: NoticeOut[] } };
    try {
      result = await this.s.store.transaction(async (tx) => {
        const outcomes: GateOutcome[] = [];
        for (const request of await requests(tx)) {
          passed.push(request);
          const outcome = await this.pass(request, { tx, now });
          if (outcome.decision.decision === 'deny') return { denied: outcome.decision };
          outcomes.push(outcome);
        }
        const notices = outcomes.flatMap((o) => (o.notice ? [o.notice] : []));
        const done: T & { notices?: NoticeOut[] } = await action(tx, outcomes);
        return { done: notices.length > 0 ? { ...done, notices } : done };
      });
    } catch (e) {
      for (const request of passed) this.forget(request); // their records were rolled back
      throw e;
    }
    if ('denied' in result) throw deniedError(result.denied, what);
    return result.done;
  }

  private async decideFor(q: Queryable, request: GateRequest, now: Date): Promise<Remembered<Decided>> {
    const make = async (rules: readonly PolicyRule[]): Promise<Decided> => {
      const built = await buildSubject(q, request);
      return { ...built, decision: decide(rules, built.subject, request.action, now) };
    };
    if (request.remember && request.repeatKey !== undefined) return this.cache.remember(q, `${request.repeatKey}\n${request.ip}`, request.action, now, make);
    return { value: await make(await this.s.rules.current(q)), fromMs: now.getTime() };
  }
}
