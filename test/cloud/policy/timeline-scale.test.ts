// Issue 16, item 14: the timeline is a sweep, O(n log n) in the rules, computed a slice at a time;
// its route pages (limit + cursor) and /v1/health answers while it runs. Asserts on work done
// (comparisons, ticks, page sizes), never on wall-clock time.
import { expect, it } from 'vitest';
import { POLICY_ACTIONS, decide, type PolicyRule, type TimelineEntry } from '../../../src/cloud/policy/index.js';
import { readTimelinePage } from '../../../src/cloud/policy/timeline-page.js';
import { TIMELINE_TICK, TIMELINE_TICK_INSTANTS, timeline, walkTimeline } from '../../../src/cloud/policy/timeline.js';
import { describeStores, startCloud } from '../harness.js';
import { makeRule } from './make-rule.js';

const EFFECTS = ['deny', 'notice', 'allow'] as const;
const HOUR = 3_600_000;
const START = Date.parse('2024-01-01T00:00:00Z');

/** `n` rules on every action, in US or a US state, starting an hour apart, some ending, overlapping. */
function buildRules(n: number): PolicyRule[] {
  return Array.from({ length: n }, (_, i) => {
    const from = START + i * HOUR;
    const until = i % 3 === 0 ? undefined : new Date(from + ((i * 7919) % 500) * HOUR + HOUR).toISOString();
    return makeRule({
      action: POLICY_ACTIONS[i % POLICY_ACTIONS.length]!,
      effect: EFFECTS[(i * 31) % 3]!,
      jurisdiction: i % 5 === 0 ? 'US-CA' : 'US',
      applies_to: (['location', 'person', 'either'] as const)[i % 3]!,
      from: new Date(from).toISOString(),
      ...(until ? { until } : {}),
    }, `r${i}`);
  });
}

/** The definition, evaluated the slow way: `decide` over all rules at every boundary instant. */
function referenceTimeline(rules: PolicyRule[], jurisdiction: string): string[] {
  const instants = [...new Set(rules.flatMap((r) => [Date.parse(r.fromUtc), ...(r.untilUtc ? [Date.parse(r.untilUtc)] : [])]))].sort((a, b) => a - b);
  const out: string[] = [];
  for (const action of POLICY_ACTIONS) {
    let last = decide(rules, { location: jurisdiction }, action, new Date(-8.64e15));
    out.push(`null ${action} ${last.decision} ${String(last.rule?.id)}`);
    for (const t of instants) {
      const d = decide(rules, { location: jurisdiction }, action, new Date(t));
      if (d.decision === last.decision && d.rule?.id === last.rule?.id) continue;
      out.push(`${new Date(t).toISOString()} ${action} ${d.decision} ${String(d.rule?.id)}`);
      last = d;
    }
  }
  return out;
}

const line = (e: TimelineEntry) => `${String(e.at)} ${e.action} ${e.decision.decision} ${String(e.decision.rule?.id)}`;

it('gives what decide gives at every boundary, on 600 overlapping rules', () => {
  const rules = buildRules(600);
  for (const jurisdiction of ['US', 'US-CA']) {
    expect(timeline(rules, { attribute: 'location', jurisdiction }).map(line).sort()).toEqual(referenceTimeline(rules, jurisdiction).sort());
  }
});

it('does n log n comparisons for 7,500 rules, and about ten times the work of 750', () => {
  const count = (n: number) => {
    const work = { comparisons: 0 };
    timeline(buildRules(n), { attribute: 'location', jurisdiction: 'US' }, work);
    return work.comparisons;
  };
  const small = count(750);
  const large = count(7500);
  expect(large).toBeLessThan(4 * 7500 * Math.log2(7500));
  // n log n grows 13.5-fold from 750 to 7,500 rules; the quadratic first version grew 100-fold.
  expect(large / small).toBeLessThan(20);
});

it('yields a tick every TIMELINE_TICK_INSTANTS boundary instants', () => {
  const rules = buildRules(7500);
  // Only rules that can match the subject (US, by location) bring instants to the sweep.
  const matching = rules.filter((r) => r.jurisdiction === 'US' && r.appliesTo !== 'person');
  const instants = new Set(matching.flatMap((r) => [r.fromUtc, ...(r.untilUtc ? [r.untilUtc] : [])]).map((t) => Date.parse(t))).size;
  expect(instants).toBeGreaterThan(4 * TIMELINE_TICK_INSTANTS);
  const items = [...walkTimeline(rules, { attribute: 'location', jurisdiction: 'US' })];
  expect(items.filter((i) => i === TIMELINE_TICK)).toHaveLength(Math.floor(instants / TIMELINE_TICK_INSTANTS));
});

it('lets other work run between slices of a long sweep', async () => {
  const rules = buildRules(7500);
  const work = { comparisons: 0 };
  let finished = false;
  const page = readTimelinePage(rules, { attribute: 'person', jurisdiction: 'US-CA' }, { after: null, limit: 1000 }, work).finally(() => {
    finished = true;
  });
  // Another task, scheduled turn after turn, sees the sweep part-way: the loop was given back.
  const seen: number[] = [];
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- set when the page settles
  while (!finished) {
    seen.push(work.comparisons);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  const total = work.comparisons;
  expect((await page).changes.length).toBeGreaterThan(0);
  expect(seen.filter((c) => c > 0 && c < total).length).toBeGreaterThan(3);
});

describeStores('timeline route', (kind) => {
  it('pages 7,500 rules by limit and cursor, and answers /v1/health meanwhile', { timeout: 120_000 }, async () => {
    const cloud = await startCloud(kind);
    const rules = buildRules(7500).map((r) => ({
      jurisdiction: r.jurisdiction,
      applies_to: r.appliesTo,
      action: r.action,
      effect: r.effect,
      from: r.fromUtc,
      ...(r.untilUtc ? { until: r.untilUtc } : {}),
      reason: r.reason,
      reference: r.reference,
    }));
    for (let i = 0; i < rules.length; i += 500) {
      expect((await cloud.request('POST', '/v1/policy/import', { body: { name: `many ${i}`, rules: rules.slice(i, i + 500) } })).statusCode).toBe(201);
    }

    const pages: TimelineEntry[][] = [];
    let cursor: string | null = null;
    do {
      const r = await cloud.request('GET', `/v1/policy/timeline?jurisdiction=US&limit=500${cursor ? `&cursor=${cursor}` : ''}`);
      expect(r.statusCode).toBe(200);
      const body = r.json<{ changes: TimelineEntry[]; next_cursor: string | null }>();
      expect(body.changes.length).toBeLessThanOrEqual(500);
      if (body.next_cursor !== null) expect(body.changes).toHaveLength(500);
      pages.push(body.changes);
      cursor = body.next_cursor;
    } while (cursor !== null);
    expect(pages.length).toBeGreaterThan(2);
    const all = (await cloud.request('GET', '/v1/policy/timeline?jurisdiction=US&limit=1000')).json().changes as TimelineEntry[];
    expect(pages.flat().slice(0, all.length)).toEqual(all);
    const keys = pages.flat().map((e) => `${String(e.at)} ${e.action}`);
    expect(new Set(keys).size).toBe(keys.length);

    // End to end: a timeline that sweeps every instant and lists little, and /v1/health answers
    // before it ends (the test of slices above shows the sweep gives the loop back).
    const order: string[] = [];
    const slow = cloud.request('GET', '/v1/policy/timeline?jurisdiction=US-CA&attribute=person').then(() => order.push('timeline'));
    const health = cloud.request('GET', '/v1/health', { token: null }).then((r) => order.push(`health ${r.statusCode}`));
    await Promise.all([slow, health]);
    expect(order).toEqual(['health 200', 'timeline']);
    expect((await cloud.request('GET', '/v1/policy/timeline?jurisdiction=US&cursor=bm9wZQ')).statusCode).toBe(400);
  });
});
