/**
 * The public door of the jurisdiction policy core (DESIGN.md section 6): pure functions over rules,
 * no store and no HTTP. Rules come in as `RuleInput` (API and import files), are stored as
 * `PolicyRule` (built by `toPolicyRule`), and are evaluated by `decide` and `timeline`.
 */
export { APPLIES_TO, POLICY_ACTIONS, POLICY_EFFECTS, isPolicyAction } from './actions.js';
export type { AppliesTo, PolicyAction, PolicyEffect, SubjectAttribute } from './actions.js';
export { PolicyError, collectIssues } from './errors.js';
export type { FieldPath, PolicyErrorCode, PolicyIssue } from './errors.js';
export {
  JURISDICTION_PATTERN,
  MAX_EXEMPT_PRODUCTS,
  MAX_PRODUCT_CHARS,
  MAX_REASON_CHARS,
  MAX_REFERENCE_CHARS,
  MAX_RULES_PER_SET,
  isJurisdictionCode,
  parseRuleInput,
  parseRuleSet,
  ruleInputSchema,
  ruleSetSchema,
  toPolicyRule,
} from './rule.js';
export type { PolicyRule, RuleInput, RuleSet } from './rule.js';
export { coversJurisdiction, decide, explainDecision } from './decide.js';
export type { Decision, PolicySubject } from './decide.js';
export { timeline } from './timeline.js';
export type { TimelineEntry, TimelineQuery } from './timeline.js';
export { isValidTimeZone, localToUtc, parseInstant, parseLocalDateTime, resolveTime, toLocalDateTime, zoneOffsetMs } from './zoned-time.js';
export type { LocalDateTime } from './zoned-time.js';
