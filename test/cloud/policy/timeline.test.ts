import { describe, expect, it } from 'vitest';
import { POLICY_ACTIONS, timeline } from '../../../src/cloud/policy/index.js';
import { loadScenarioRules } from './load-scenario.js';
import { makeRule } from './make-rule.js';

/** Entries as `at action decision rule` lines, easy to read in a failing diff. */
function summarize(entries: ReturnType<typeof timeline>): string[] {
  return entries.map((e) => `${e.at ?? 'beginning'} ${e.action} ${e.decision.decision} ${e.decision.rule?.id ?? '-'}`);
}

describe('timeline', () => {
  it('lists the reference scenario for US persons, sorted by time then action', () => {
    const entries = timeline(loadScenarioRules(), { attribute: 'person', jurisdiction: 'US' });
    expect(summarize(entries)).toEqual([
      ...POLICY_ACTIONS.map((a) => `beginning ${a} allow -`),
      '2024-06-20T04:00:00.000Z intel.feed allow r8',
      '2024-07-20T04:00:00.000Z license.sell deny r1',
      '2024-07-20T04:00:00.000Z license.renew deny r2',
      '2024-09-29T04:00:00.000Z license.transfer deny r5',
      '2024-09-29T04:00:00.000Z download deny r4',
      '2024-09-29T04:00:00.000Z update deny r3',
      '2024-09-29T04:00:00.000Z telemetry.collect deny r6',
      '2024-09-29T04:00:00.000Z reputation.lookup deny r7',
    ]);
    expect(entries.every((e) => e.decision.attribute === null || e.decision.attribute === 'person')).toBe(true);
  });

  it('lists Germany by location as notices only, for the asked actions', () => {
    const entries = timeline(loadScenarioRules(), { attribute: 'location', jurisdiction: 'DE', actions: ['update', 'download', 'license.sell'] });
    expect(summarize(entries)).toEqual([
      'beginning license.sell allow -',
      'beginning download allow -',
      'beginning update allow -',
      '2022-03-14T23:00:00.000Z download notice r9',
      '2022-03-14T23:00:00.000Z update notice r10',
    ]);
  });

  it('shows a rule ending at its until, and a subdivision covered by a country rule', () => {
    const rules = [makeRule({ applies_to: 'location', from: '2024-01-01T00:00:00Z', until: '2024-03-01T00:00:00Z' }, 'a')];
    expect(summarize(timeline(rules, { attribute: 'location', jurisdiction: 'US-CA', actions: ['update'] }))).toEqual([
      'beginning update allow -',
      '2024-01-01T00:00:00.000Z update deny a',
      '2024-03-01T00:00:00.000Z update allow -',
    ]);
  });

  it('lists a change of deciding rule even when the word stays the same, and skips outranked rules', () => {
    const rules = [
      makeRule({ from: '2024-01-01T00:00:00Z' }, 'a'),
      makeRule({ from: '2024-02-01T00:00:00Z' }, 'b'), // newer deny: takes over (step 4)
      makeRule({ effect: 'notice', from: '2024-03-01T00:00:00Z' }, 'c'), // outranked by deny: no entry
    ];
    expect(summarize(timeline(rules, { attribute: 'person', jurisdiction: 'US', actions: ['update'] }))).toEqual([
      'beginning update allow -',
      '2024-01-01T00:00:00.000Z update deny a',
      '2024-02-01T00:00:00.000Z update deny b',
    ]);
  });

  it('rejects a jurisdiction that is not an ISO 3166 code', () => {
    expect(() => timeline([], { attribute: 'person', jurisdiction: 'usa' })).toThrow(expect.objectContaining({ code: 'INVALID_SUBJECT' }));
  });
});
