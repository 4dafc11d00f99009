/**
 * The vocabulary of the jurisdiction policy (DESIGN.md section 6): the gated cloud actions, the
 * effects a rule can have, and the subject attribute a rule looks at.
 */

import { POLICY_ACTIONS, type PolicyAction } from '../../protocol/index.js';

/** Every cloud action that asks the policy before it runs (defined in protocol, shared with the agent). */
export { POLICY_ACTIONS, type PolicyAction };

/** What a rule does, mildest first: `notice` lets the action run and shows the rule's reason. */
export const POLICY_EFFECTS = ['allow', 'notice', 'deny'] as const;
export type PolicyEffect = (typeof POLICY_EFFECTS)[number];

/** Which attribute of the subject a rule looks at: where the request comes from, whose license it is, or both. */
export const APPLIES_TO = ['location', 'person', 'either'] as const;
export type AppliesTo = (typeof APPLIES_TO)[number];

/** The attribute that made a rule match; `either` rules report the one that matched. */
export type SubjectAttribute = 'location' | 'person';

export function isPolicyAction(value: unknown): value is PolicyAction {
  return typeof value === 'string' && (POLICY_ACTIONS as readonly string[]).includes(value);
}
