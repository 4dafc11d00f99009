/**
 * The one recorder of the policy gate: every recorded decision is a `policy.decision` entry of the
 * hash-chained audit log (DESIGN.md section 6), saying who asked, for which tenant, the subject,
 * where its location came from, the decision (which rule and attribute decided) and any context.
 */
import { appendAudit, type AuditEntry } from '../audit/index.js';
import type { Queryable } from '../store/index.js';
import type { PolicyAction, PolicyDecision } from '../../protocol/index.js';
import type { PolicySubject } from './decide.js';
import type { LocationSource } from './gate-subject.js';

export interface DecisionRecord {
  action: PolicyAction;
  /** Who asks: `user:<id>`, `endpoint:<id>`, `license:<id>`, `activation:<id>`. */
  actor: string;
  /** The tenant the decision concerns (its records are visible to its admins). */
  tenantId: string | null;
  subject: PolicySubject;
  locationSource: LocationSource;
  decision: PolicyDecision;
  context?: Record<string, unknown> | undefined;
}

export function buildAuditEntry(r: DecisionRecord): AuditEntry {
  return {
    kind: 'policy.decision',
    actor: r.actor,
    tenant: r.tenantId,
    data: { action: r.action, subject: r.subject, location_source: r.locationSource, decision: r.decision, ...(r.context ? { context: r.context } : {}) },
  };
}

/** Appends the record in `tx` and answers its sequence number in the audit log. */
export async function recordDecision(tx: Queryable, r: DecisionRecord, at: Date): Promise<number> {
  return (await appendAudit(tx, buildAuditEntry(r), at)).seq;
}
