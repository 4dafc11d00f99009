/**
 * Decides whether a gated action may run for a subject at an instant (DESIGN.md section 6).
 *
 * A rule matches when its action is the action asked about, `fromUtc <= at < untilUtc` (until is
 * exclusive, absent = open-ended), the subject's product is not in its `exemptProducts`, and its
 * jurisdiction covers the value of an attribute it applies to: `location`, `person`, or either of
 * them. A country rule (`US`) covers the country and its subdivisions (`US`, `US-CA`); a subdivision
 * rule (`US-CA`) covers only itself. A rule that matches by both attributes counts once per attribute.
 *
 * Among matching (rule, attribute) pairs, the first of these that differs decides — keep this order,
 * audits and tests depend on it:
 *   1. effect: deny over notice over allow (an allow rule never lifts a deny);
 *   2. the more specific jurisdiction: subdivision over country;
 *   3. the attribute: location over person;
 *   4. the latest `fromUtc` (the newer rule);
 *   5. the lowest id (ids of digits only first, in numeric order; then others by UTF-16 code units);
 *   6. the highest version (only when the caller passes two versions of one rule).
 * No matching rule: allow, with `rule: null`.
 */
import type { PolicyDecision } from '../../protocol/index.js';
import type { PolicyAction, PolicyEffect, SubjectAttribute } from './actions.js';
import { PolicyError } from './errors.js';
import type { PolicyRule } from './rule.js';

/** Who asks: country or subdivision codes (ISO 3166-1 alpha-2 or 3166-2), and the product if known. */
export interface PolicySubject {
  /** Where the request comes from (IP through the CIDR table, or a declared country). */
  location?: string;
  /** The license holder's country of residence or citizenship. */
  person?: string;
  product?: string;
}

/** A decision is the protocol's wire type: what the cloud answers is what it decided. */
export type Decision = PolicyDecision;

/** A rule that matches a subject and action, with the attribute it matches by. */
export interface Candidate {
  rule: PolicyRule;
  attribute: SubjectAttribute;
}

const EFFECT_RANK: Record<PolicyEffect, number> = { allow: 0, notice: 1, deny: 2 };

/** True when a rule for `ruleJurisdiction` covers the code `value` (`US` covers `US-CA`, not the reverse). */
export function coversJurisdiction(ruleJurisdiction: string, value: string): boolean {
  if (value === ruleJurisdiction) return true;
  return !ruleJurisdiction.includes('-') && value.startsWith(`${ruleJurisdiction}-`);
}

function isActiveAt(rule: PolicyRule, atMs: number): boolean {
  if (Date.parse(rule.fromUtc) > atMs) return false;
  return rule.untilUtc === undefined || atMs < Date.parse(rule.untilUtc);
}

/** Codes are compared uppercase; the caller validates their shape (see `isJurisdictionCode`). */
function normalizeCode(code: string | undefined): string | undefined {
  return code === undefined ? undefined : code.trim().toUpperCase();
}

/** The (rule, attribute) pairs that match; `atMs` null: whatever their time span (for the timeline's sweep). */
export function listCandidates(rules: readonly PolicyRule[], subject: PolicySubject, action: PolicyAction, atMs: number | null): Candidate[] {
  const values: Record<SubjectAttribute, string | undefined> = {
    location: normalizeCode(subject.location),
    person: normalizeCode(subject.person),
  };
  const candidates: Candidate[] = [];
  for (const rule of rules) {
    if (rule.action !== action || (atMs !== null && !isActiveAt(rule, atMs))) continue;
    if (subject.product !== undefined && rule.exemptProducts.includes(subject.product)) continue;
    const attributes: SubjectAttribute[] = rule.appliesTo === 'either' ? ['location', 'person'] : [rule.appliesTo];
    for (const attribute of attributes) {
      const value = values[attribute];
      if (value !== undefined && coversJurisdiction(rule.jurisdiction, value)) candidates.push({ rule, attribute });
    }
  }
  return candidates;
}

/** A total order on ids: ids of digits only first, in numeric order; then the others by UTF-16 code units. */
function compareIds(a: string, b: string): number {
  const numeric = (s: string): boolean => /^\d+$/.test(s);
  if (numeric(a) !== numeric(b)) return numeric(a) ? -1 : 1;
  if (numeric(a)) {
    const x = a.replace(/^0+(?=\d)/, '');
    const y = b.replace(/^0+(?=\d)/, '');
    if (x.length !== y.length) return x.length - y.length;
    if (x !== y) return x < y ? -1 : 1;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Negative when `a` wins over `b`: the resolution order of the module header, step by step. */
export function compareCandidates(a: Candidate, b: Candidate): number {
  const specificity = (c: Candidate): number => (c.rule.jurisdiction.includes('-') ? 1 : 0);
  const attributeRank = (c: Candidate): number => (c.attribute === 'location' ? 1 : 0);
  return (
    EFFECT_RANK[b.rule.effect] - EFFECT_RANK[a.rule.effect] || // 1
    specificity(b) - specificity(a) || // 2
    attributeRank(b) - attributeRank(a) || // 3
    Date.parse(b.rule.fromUtc) - Date.parse(a.rule.fromUtc) || // 4
    compareIds(a.rule.id, b.rule.id) || // 5
    b.rule.version - a.rule.version // 6
  );
}

/** What is decided for `subject` doing `action` at the instant `at`, and which rule and attribute decided. */
export function decide(rules: readonly PolicyRule[], subject: PolicySubject, action: PolicyAction, at: Date): Decision {
  const atMs = at.getTime();
  if (Number.isNaN(atMs)) throw new PolicyError('INVALID_TIME', 'decision instant is an invalid Date');
  const winner = listCandidates(rules, subject, action, atMs).reduce<Candidate | null>(
    (best, c) => (best === null || compareCandidates(c, best) < 0 ? c : best),
    null,
  );
  const atIso = at.toISOString();
  if (winner === null) return { decision: 'allow', action, at: atIso, rule: null, attribute: null, jurisdiction: null };
  const { rule, attribute } = winner;
  return {
    decision: rule.effect,
    action,
    at: atIso,
    rule: { id: rule.id, version: rule.version },
    attribute,
    jurisdiction: rule.jurisdiction,
    reason: rule.reason,
    reference: rule.reference,
    since: rule.fromUtc,
  };
}

/**
 * One human line, starting with the decision word:
 * `deny: rule r3 v1 (US, by person) since 2024-09-29T04:00:00.000Z: <reason> [<reference>]`.
 * Line breaks in the reason are folded into spaces.
 */
export function explainDecision(d: Decision): string {
  if (d.rule === null) return `${d.decision}: no rule applies to ${d.action} at ${d.at}`;
  const oneLine = (s: string | undefined): string => (s ?? '').replace(/\s+/g, ' ').trim();
  const by = d.attribute === null ? '' : `, by ${d.attribute}`;
  return `${d.decision}: rule ${d.rule.id} v${d.rule.version} (${d.jurisdiction ?? '?'}${by}) since ${d.since ?? '?'}: ${oneLine(d.reason)} [${oneLine(d.reference)}]`;
}
