/**
 * A jurisdiction decision as the license server reports it (DESIGN.md section 6): with a
 * `policy_denied` error (`error.decision`) or, for a notice, in the answer's `notices`. Read
 * defensively, member by member: a server that says less still gives a message; one that says
 * something odd cannot make the agent throw or write control characters to a terminal.
 */
import { serverText } from './server-text.js';

export interface PolicyDecision {
  decision: 'deny' | 'notice' | 'allow';
  /** The gated action, e.g. `license.activate` (POLICY_ACTIONS). */
  action?: string;
  /** Why, in plain words, as the rule's author wrote them. */
  reason?: string;
  /** The legal text or advisory behind the rule. */
  reference?: string;
  /** When the rule took effect (ISO 8601 UTC). */
  since?: string;
  /** The deciding rule's jurisdiction, e.g. `US`. */
  jurisdiction?: string;
  /** Whether it applied by where the request came from or by the license holder's country. */
  attribute?: 'location' | 'person';
  rule?: { id: string; version: number };
}

/** Actions in words, to say what stopped or what a notice is about. */
const ACTION_WORDS: Record<string, string> = {
  'license.sell': 'selling licenses',
  'license.renew': 'renewing licenses',
  'license.transfer': 'transferring licenses',
  'license.activate': 'activating and refreshing licenses',
  download: 'downloads of the software and its signature databases',
  update: 'signature and program updates',
  'telemetry.collect': 'sending detection reports to the security network',
  'reputation.lookup': 'reputation look-ups in the security network',
  'intel.feed': 'threat-intelligence feeds',
};

export function describeAction(action: string | undefined, fallback: string): string {
  return (action !== undefined && ACTION_WORDS[action]) || fallback;
}

/** A decision from untrusted JSON; undefined when it is not one. */
export function readPolicyDecision(value: unknown): PolicyDecision | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  if (v['decision'] !== 'deny' && v['decision'] !== 'notice' && v['decision'] !== 'allow') return undefined;
  const out: PolicyDecision = { decision: v['decision'] };
  const text = (name: 'action' | 'reason' | 'reference' | 'since' | 'jurisdiction', max?: number) => {
    const s = serverText(v[name], max);
    if (s !== undefined && s.trim() !== '') out[name] = s;
  };
  text('action', 100);
  text('reason');
  text('reference');
  text('since', 100);
  text('jurisdiction', 20);
  if (v['attribute'] === 'location' || v['attribute'] === 'person') out.attribute = v['attribute'];
  const rule = v['rule'] as Record<string, unknown> | null | undefined;
  const id = serverText(rule?.['id'], 100);
  if (id !== undefined && typeof rule?.['version'] === 'number') out.rule = { id, version: rule['version'] };
  return out;
}

/** The notices of an answer (only `notice` decisions; anything else in the list is dropped). */
export function readPolicyNotices(value: unknown): PolicyDecision[] {
  if (!Array.isArray(value)) return [];
  return value.slice(0, 20).flatMap((n) => {
    const d = readPolicyDecision(n);
    return d?.decision === 'notice' ? [d] : [];
  });
}
