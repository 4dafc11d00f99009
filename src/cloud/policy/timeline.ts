/**
 * The history of decisions for one kind of subject: "what was decided for anyone located in the US,
 * action by action, and when did it change". Decisions only change where a rule starts or ends, and
 * an entry is listed where the decision word or the deciding rule (id and version) differs from the
 * previous one for that action.
 *
 * The first entry of every action has `at: null` ("since the beginning"); its decision is evaluated
 * at the earliest instant a Date can hold, where no rule is in force, so it is the default allow.
 * Entries are sorted by time (null first), then by action in the order of POLICY_ACTIONS.
 *
 * Algorithm (a sweep, O(n log n) for n rules; issue 16, item 14): the rules that can match the
 * subject are ranked once per action by `decide`'s own resolution order (`compareCandidates`,
 * which does not depend on the instant). The sweep then visits every rule boundary instant in
 * ascending order: rules starting there enter their action's heap, and the best-ranked rule still in
 * force (stale ones, whose `until` has passed, are popped off the top) is the one `decide` would
 * pick over all rules at that instant. Evaluating `decide` at every boundary over every rule, as a
 * first version did, was quadratic: 25 s for 7,500 rules.
 *
 * `walkTimeline` yields entries in order, and a tick every TIMELINE_TICK_INSTANTS instants so that a
 * server can let other requests run between slices of a long sweep.
 */
import { POLICY_ACTIONS, type PolicyAction, type SubjectAttribute } from './actions.js';
import { compareCandidates, decide, listCandidates, type Decision, type PolicySubject } from './decide.js';
import { PolicyError } from './errors.js';
import { RankHeap, type WorkCounter } from './rank-heap.js';
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

export type { WorkCounter } from './rank-heap.js';

/** Boundary instants swept between two ticks of `walkTimeline`. */
export const TIMELINE_TICK_INSTANTS = 1000;
/** What `walkTimeline` yields between slices of work. */
export const TIMELINE_TICK = Symbol('timeline tick');

/** The earliest instant a Date can hold (ECMAScript time values span ±8.64e15 ms). */
const BEGINNING = new Date(-8.64e15);

interface Ranked {
  rank: number;
  rule: PolicyRule;
  untilMs: number;
}

interface Start {
  atMs: number;
  action: number;
  ranked: Ranked;
}

function isSameOutcome(a: Decision, b: Decision): boolean {
  return a.decision === b.decision && a.rule?.id === b.rule?.id && a.rule?.version === b.rule?.version;
}

function sortCounted<T>(items: T[], compare: (a: T, b: T) => number, work: WorkCounter): T[] {
  return items.sort((a, b) => {
    work.comparisons++;
    return compare(a, b);
  });
}

/** Every change of decision over time, in order, with ticks between slices of the sweep. */
export function* walkTimeline(rules: readonly PolicyRule[], query: TimelineQuery, work: WorkCounter = { comparisons: 0 }): Generator<TimelineEntry | typeof TIMELINE_TICK> {
  if (!isJurisdictionCode(query.jurisdiction)) {
    throw new PolicyError('INVALID_SUBJECT', `not an ISO 3166 code: "${query.jurisdiction}"`, { path: ['jurisdiction'] });
  }
  const wanted = new Set<PolicyAction>(query.actions ?? POLICY_ACTIONS);
  const actions = POLICY_ACTIONS.filter((a) => wanted.has(a));
  const subject: PolicySubject = query.attribute === 'location' ? { location: query.jurisdiction } : { person: query.jurisdiction };

  // Rank each action's matching rules once; gather their starts and ends.
  const starts: Start[] = [];
  const ends: { atMs: number; action: number }[] = [];
  const byAction = new Map<PolicyAction, PolicyRule[]>(actions.map((a) => [a, []]));
  for (const rule of rules) byAction.get(rule.action)?.push(rule);
  actions.forEach((action, index) => {
    const candidates = sortCounted(listCandidates(byAction.get(action)!, subject, action, null), compareCandidates, work);
    candidates.forEach((c, rank) => {
      const untilMs = c.rule.untilUtc === undefined ? Infinity : Date.parse(c.rule.untilUtc);
      starts.push({ atMs: Date.parse(c.rule.fromUtc), action: index, ranked: { rank, rule: c.rule, untilMs } });
      if (untilMs !== Infinity) ends.push({ atMs: untilMs, action: index });
    });
  });
  sortCounted(starts, (a, b) => a.atMs - b.atMs, work);
  sortCounted(ends, (a, b) => a.atMs - b.atMs, work);

  const last: Decision[] = [];
  for (const action of actions) {
    // Only rules of this action matter to it; `decide` keeps to them itself.
    const decision = decide(byAction.get(action)!, subject, action, BEGINNING);
    last.push(decision);
    yield { at: null, action, decision };
  }

  const heaps = actions.map(() => new RankHeap<Ranked>(work));
  const touched = new Array<boolean>(actions.length).fill(false);
  let s = 0;
  let e = 0;
  let swept = 0;
  while (s < starts.length || e < ends.length) {
    const atMs = Math.min(starts[s]?.atMs ?? Infinity, ends[e]?.atMs ?? Infinity);
    for (; s < starts.length && starts[s]!.atMs === atMs; s++) {
      heaps[starts[s]!.action]!.push(starts[s]!.ranked);
      touched[starts[s]!.action] = true;
    }
    for (; e < ends.length && ends[e]!.atMs === atMs; e++) touched[ends[e]!.action] = true;
    const at = new Date(atMs);
    // Actions keep their canonical order within one instant, so entries come out sorted.
    for (let a = 0; a < actions.length; a++) {
      if (!touched[a]) continue;
      touched[a] = false;
      const heap = heaps[a]!;
      while (heap.size > 0 && heap.peek()!.untilMs <= atMs) heap.pop(); // until is exclusive
      const best = heap.peek();
      const decision = decide(best ? [best.rule] : [], subject, actions[a]!, at);
      if (isSameOutcome(last[a]!, decision)) continue;
      last[a] = decision;
      yield { at: at.toISOString(), action: actions[a]!, decision };
    }
    if (++swept % TIMELINE_TICK_INSTANTS === 0) yield TIMELINE_TICK;
  }
}

/** Every change of decision over time for a subject whose `attribute` is `jurisdiction`. */
export function timeline(rules: readonly PolicyRule[], query: TimelineQuery, work?: WorkCounter): TimelineEntry[] {
  const entries: TimelineEntry[] = [];
  for (const item of walkTimeline(rules, query, work)) if (item !== TIMELINE_TICK) entries.push(item);
  return entries;
}
