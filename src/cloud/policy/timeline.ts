/**
 * The history of decisions for one kind of subject: "what was decided for anyone located in the US,
 * action by action, and when did it change". Decisions only change where a rule starts or ends, so
 * `decide` is evaluated once before every rule and then at every rule boundary instant (each
 * `fromUtc` and `untilUtc`), and an entry is listed where the decision word or the deciding rule
 * (id and version) differs from the previous one for that action.
 *
 * The first entry of every action has `at: null` ("since the beginning"); its decision is evaluated
 * at the earliest instant a Date can hold, where no rule is in force, so it is the default allow.
 * Entries are sorted by time (null first), then by action in the order of POLICY_ACTIONS.
 */
import { POLICY_ACTIONS, type PolicyAction, type SubjectAttribute } from './actions.js';
import { decide, type Decision, type PolicySubject } from './decide.js';
import { PolicyError } from './errors.js';
import { isJurisdictionCode, type PolicyRule } from './rule.js';

export interface TimelineQuery {
  attribute: SubjectAttribute;
  jurisdiction: string;
  /** Default: all of POLICY_ACTIONS. */
  actions?: readonly PolicyAction[];
}

export interface TimelineEntry {
  /** The instant the decision took effect, ISO 8601 UTC; null = since the beginning. */
  at: string | null;
  action: PolicyAction;
  decision: Decision;
}

/** The earliest instant a Date can hold (ECMAScript time values span ±8.64e15 ms). */
const BEGINNING = new Date(-8.64e15);

function listBoundaries(rules: readonly PolicyRule[]): number[] {
  const instants = new Set<number>();
  for (const rule of rules) {
    instants.add(Date.parse(rule.fromUtc));
    if (rule.untilUtc !== undefined) instants.add(Date.parse(rule.untilUtc));
  }
  return [...instants].sort((a, b) => a - b);
}

function isSameOutcome(a: Decision, b: Decision): boolean {
  return a.decision === b.decision && a.rule?.id === b.rule?.id && a.rule?.version === b.rule?.version;
}

/** Every change of decision over time for a subject whose `attribute` is `jurisdiction`. */
export function timeline(rules: readonly PolicyRule[], query: TimelineQuery): TimelineEntry[] {
  if (!isJurisdictionCode(query.jurisdiction)) {
    throw new PolicyError('INVALID_SUBJECT', `not an ISO 3166 code: "${query.jurisdiction}"`, { path: ['jurisdiction'] });
  }
  const wanted = new Set<PolicyAction>(query.actions ?? POLICY_ACTIONS);
  const actions = POLICY_ACTIONS.filter((a) => wanted.has(a));
  const relevant = rules.filter((r) => wanted.has(r.action));
  const subject: PolicySubject = query.attribute === 'location' ? { location: query.jurisdiction } : { person: query.jurisdiction };

  const entries: TimelineEntry[] = [];
  const last = new Map<PolicyAction, Decision>();
  for (const action of actions) {
    const decision = decide(relevant, subject, action, BEGINNING);
    entries.push({ at: null, action, decision });
    last.set(action, decision);
  }
  // Boundaries ascend and actions keep their canonical order, so entries come out sorted.
  for (const instant of listBoundaries(relevant)) {
    const at = new Date(instant);
    for (const action of actions) {
      const decision = decide(relevant, subject, action, at);
      const previous = last.get(action);
      if (previous !== undefined && isSameOutcome(previous, decision)) continue;
      entries.push({ at: at.toISOString(), action, decision });
      last.set(action, decision);
    }
  }
  return entries;
}
