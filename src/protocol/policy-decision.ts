/**
 * A jurisdiction decision on the wire (DESIGN.md section 6): what the cloud answers when it decides
 * a gated action (in a `policy_denied` error as `error.decision`, in an answer's `notices`, in a
 * signed notice's payload, from `POST /v1/policy/decisions`), and what the agent reads of it.
 *
 * The cloud sends a whole `PolicyDecision`. A reader keeps a `ReceivedPolicyDecision`: read member by
 * member, so a server that says less still gives a message, and one that says something odd cannot
 * make the reader throw; every text goes through the reader's `clean` (the agent's removes control
 * characters before they reach a terminal).
 */
import type { PolicyAction } from './policy-actions.js';

/** What a rule does, mildest first: `notice` lets the action run and shows the rule's reason. */
export const POLICY_EFFECTS = ['allow', 'notice', 'deny'] as const;
export type PolicyEffect = (typeof POLICY_EFFECTS)[number];

/** The attribute of the subject that made a rule match: where the request came from, or whose license it is. */
export type SubjectAttribute = 'location' | 'person';

export interface PolicyRuleRef {
  id: string;
  version: number;
}

export interface PolicyDecision {
  decision: PolicyEffect;
  action: PolicyAction;
  /** The instant decided about, ISO 8601 UTC. */
  at: string;
  /** The deciding rule; null when no rule applies (then the decision is `allow`). */
  rule: PolicyRuleRef | null;
  attribute: SubjectAttribute | null;
  /** The deciding rule's jurisdiction (which may be wider than the subject's value). */
  jurisdiction: string | null;
  /** Why, in plain words, as the rule's author wrote them. */
  reason?: string;
  /** The legal text or advisory behind the rule. */
  reference?: string;
  /** When the deciding rule took effect (its `fromUtc`). */
  since?: string;
}

/**
 * What a reader keeps of a decision from untrusted JSON: the effect, and whatever else was readable.
 * `action` stays a string: a newer server may gate an action this version has no words for.
 */
export type ReceivedPolicyDecision = Pick<PolicyDecision, 'decision'> &
  Partial<Pick<PolicyDecision, 'reason' | 'reference' | 'since'>> & {
    action?: string;
    jurisdiction?: string;
    attribute?: SubjectAttribute;
    rule?: PolicyRuleRef;
  };

/** Turns a member into text that is safe to keep (cut to `maxChars`), or undefined when it is not a string. */
export type WireText = (value: unknown, maxChars?: number) => string | undefined;

/** The most notices read from one answer. */
export const POLICY_NOTICES_MAX = 20;

function isEffect(value: unknown): value is PolicyEffect {
  return typeof value === 'string' && (POLICY_EFFECTS as readonly string[]).includes(value);
}

/** A decision from untrusted JSON; undefined when it is not one. */
export function readPolicyDecision(value: unknown, clean: WireText): ReceivedPolicyDecision | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  const effect = v['decision'];
  if (!isEffect(effect)) return undefined;
  const out: ReceivedPolicyDecision = { decision: effect };
  const text = (name: 'action' | 'reason' | 'reference' | 'since' | 'jurisdiction', max?: number): void => {
    const s = clean(v[name], max);
    if (s !== undefined && s.trim() !== '') out[name] = s;
  };
  text('action', 100);
  text('reason');
  text('reference');
  text('since', 100);
  text('jurisdiction', 20);
  if (v['attribute'] === 'location' || v['attribute'] === 'person') out.attribute = v['attribute'];
  const rule = v['rule'];
  if (rule !== null && typeof rule === 'object' && !Array.isArray(rule)) {
    const r = rule as Record<string, unknown>;
    const id = clean(r['id'], 100);
    if (id !== undefined && typeof r['version'] === 'number') out.rule = { id, version: r['version'] };
  }
  return out;
}

/** The notices of an answer: only `notice` decisions, at most POLICY_NOTICES_MAX; anything else is dropped. */
export function readPolicyNotices(value: unknown, clean: WireText): ReceivedPolicyDecision[] {
  if (!Array.isArray(value)) return [];
  return value.slice(0, POLICY_NOTICES_MAX).flatMap((n) => {
    const d = readPolicyDecision(n, clean);
    return d?.decision === 'notice' ? [d] : [];
  });
}
