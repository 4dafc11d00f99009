/**
 * The policy gate on the vendor's own update delivery (docs/updates.md, "Who may update"): an
 * endpoint that presents its activation (`Authorization: Activation <id>.<secret>`) asks `update`
 * when it fetches `metadata/timestamp.json` (the file every update starts with) and `download` for
 * each target. Requests without an activation (mirrors, auditors, anyone) are not gated: the
 * repository is public and static by design, and a rule binds the vendor's service, not copies
 * others serve.
 *
 * The subject is the one the other gates build (policy/gate.ts): location from the client's address
 * through the CIDR table (activations have no registered endpoint country and declare none here),
 * person the license holder's country, product the license's.
 *
 * Decided on every request (a rule taking effect applies from its first millisecond), recorded as
 * the security network's gate records (network/network-gate.ts): a `policy.decision` entry is
 * appended when the decision differs from the last one recorded for the same activation and action
 * (effect, rule and version, attribute, jurisdiction, subject, location source), or when that one is
 * older than `recordMs` (default 10 minutes), with `context.repeats_within_s`. So an update that
 * fetches a timestamp and three targets writes at most two records, not four. What was last recorded
 * is kept in this process's memory: a restart, or another process, records its first decision again.
 */
import type { AuditEntry } from '../audit/audit-log.js';
import { appendAudit } from '../audit/audit-log.js';
import type { Principal } from '../auth/roles.js';
import { getLicense } from '../licensing/licenses.js';
import { decide, type Decision, type PolicySubject } from '../policy/decide.js';
import { resolveLocation, type LocationSource } from '../policy/gate.js';
import type { CloudServices } from '../services.js';
import { signPolicyNotice, type SignedPolicyNotice } from './policy-notice.js';

/** How long an identical decision for one activation and action is represented by its first record (ms). */
export const UPDATE_DECISION_RECORD_MS = 10 * 60_000;
/** The most activations and actions whose last record is remembered (then the memory starts over). */
const MAX_REMEMBERED = 100_000;

export type UpdateAction = 'update' | 'download';

export interface UpdateGateOutcome {
  decision: Decision;
  subject: PolicySubject;
  locationSource: LocationSource;
  /** For `deny` and `notice`: the signed notice the endpoint shows. */
  notice?: SignedPolicyNotice;
}

export class UpdateGate {
  private readonly recorded = new Map<string, { signature: string; atMs: number }>();

  constructor(
    private readonly s: CloudServices,
    private readonly recordMs = UPDATE_DECISION_RECORD_MS,
  ) {}

  /** Decides for an activation's request from `ip`; records the decision when it needs a record. */
  async pass(principal: Principal & { activation: NonNullable<Principal['activation']> }, action: UpdateAction, ip: string): Promise<UpdateGateOutcome> {
    const now = this.s.now();
    const activationId = principal.activation.id;
    const license = await getLicense(this.s.store, principal.activation.licenseId);
    const location = await resolveLocation(this.s.store, ip, null, undefined);
    const subject: PolicySubject = {};
    if (location.country) subject.location = location.country;
    if (principal.tenantCountry) subject.person = principal.tenantCountry;
    if (license?.product) subject.product = license.product;
    const decision = decide(await this.s.rules.current(this.s.store), subject, action, now);
    await this.record(principal, action, { decision, subject, locationSource: location.source }, now);
    const outcome: UpdateGateOutcome = { decision, subject, locationSource: location.source };
    if (decision.decision === 'deny' || decision.decision === 'notice') outcome.notice = signPolicyNotice({ ...decision, decision: decision.decision }, activationId, now, this.s.licenseKey.privateKey);
    return outcome;
  }

  private async record(principal: Principal, action: UpdateAction, outcome: Omit<UpdateGateOutcome, 'notice'>, now: Date): Promise<void> {
    const { decision, subject, locationSource } = outcome;
    const key = `${principal.activation!.id}\n${action}`;
    const signature = JSON.stringify([decision.decision, decision.rule, decision.attribute, decision.jurisdiction, subject, locationSource]);
    const nowMs = now.getTime();
    const last = this.recorded.get(key);
    if (last && last.signature === signature && nowMs >= last.atMs && nowMs - last.atMs < this.recordMs) return;
    // Claimed before writing, so concurrent identical requests write once; given back on failure.
    if (this.recorded.size >= MAX_REMEMBERED && !last) this.recorded.clear();
    this.recorded.set(key, { signature, atMs: nowMs });
    const entry: AuditEntry = {
      kind: 'policy.decision',
      actor: `activation:${principal.activation!.id}`,
      tenant: principal.tenantId,
      data: { action, subject, location_source: locationSource, decision, context: { repeats_within_s: Math.round(this.recordMs / 1000) } },
    };
    try {
      await this.s.store.transaction((tx) => appendAudit(tx, entry, now));
    } catch (e) {
      if (this.recorded.get(key)?.atMs === nowMs) this.recorded.delete(key);
      throw e;
    }
  }
}
