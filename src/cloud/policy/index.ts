/**
 * The public door of the jurisdiction policy (DESIGN.md section 6). The core is pure functions over
 * rules, no store and no HTTP: rules come in as `RuleInput` (API and import files), are stored as
 * `PolicyRule` (built by `toPolicyRule`), and are evaluated by `decide` and `timeline`. The gate
 * (`PolicyGate`) is what every gated service calls: subject, decision, audit record and notice.
 */
export { APPLIES_TO, POLICY_ACTIONS, POLICY_EFFECTS, isPolicyAction } from './actions.js';
export type { AppliesTo, PolicyAction, PolicyEffect, SubjectAttribute } from './actions.js';
export { PolicyError, collectIssues } from './errors.js';
export { policyErrorAsHttp } from './policy-http-error.js';
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
export { PolicyGate, buildActivationRequest } from './gate.js';
export type { ActivationSubject, GateOutcome, GateRequest, GateServices, PassOptions } from './gate.js';
export { buildSubject, resolveLocation } from './gate-subject.js';
export type { BuiltSubject, LocationSource, SubjectSource } from './gate-subject.js';
export { NOTICE_WHAT_TO_DO, deniedError, noticeOf, issueSignedNotice } from './gate-notice.js';
export type { DeniedExtra, NoticeOut } from './gate-notice.js';
export { REPEAT_WINDOW_MAX_KEYS, RepeatWindow, summarizeDecision } from './repeat-window.js';
export { DECISION_CACHE_MAX_ENTRIES, DecisionCache, findNextBoundary } from './decision-cache.js';
export { recordDecision, buildAuditEntry, type DecisionRecord } from './decision-record.js';
export { policyRoutes } from './policy-routes.js';
export { ActiveRules, createRule, listRules, type StoredRule } from './rule-store.js';
