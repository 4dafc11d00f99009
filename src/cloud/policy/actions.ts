/**
 * The vocabulary of the jurisdiction policy (DESIGN.md section 6): the gated cloud actions, the
 * effects a rule can have, and the subject attribute a rule looks at. The actions, effects and
 * attributes are wire vocabulary, defined in protocol and shared with the agent.
 */
export { POLICY_ACTIONS, POLICY_EFFECTS, isPolicyAction, type PolicyAction, type PolicyEffect, type SubjectAttribute } from '../../protocol/index.js';

/** Which attribute of the subject a rule looks at: where the request comes from, whose license it is, or both. */
export const APPLIES_TO = ['location', 'person', 'either'] as const;
export type AppliesTo = (typeof APPLIES_TO)[number];
