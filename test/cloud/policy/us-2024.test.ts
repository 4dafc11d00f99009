// The reference scenario of DESIGN.md section 6, decided from examples/policy/us-2024.json exactly as
// the cloud would import it: one second before and after each effective time, for four subjects
// and all nine actions.
import { describe, expect, it } from 'vitest';
import {
  POLICY_ACTIONS,
  decide,
  explainDecision,
  localToUtc,
  parseLocalDateTime,
  type PolicyAction,
  type PolicyEffect,
  type PolicySubject,
} from '../../../src/cloud/policy/index.js';
import { loadScenarioRules } from './load-scenario.js';

const rules = loadScenarioRules();

/** An effective time of the legal text, computed in US Eastern time independently of the rule file. */
function eastern(local: string): Date {
  return localToUtc(parseLocalDateTime(local)!, 'America/New_York');
}
const JULY_20 = eastern('2024-07-20T00:00');
const SEPTEMBER_29 = eastern('2024-09-29T00:00');
const second = (d: Date, delta: number): Date => new Date(d.getTime() + delta * 1000);

/** The periods of the scenario, and the instants that probe them. */
type Period = 'before July 20' | 'from July 20' | 'from September 29';
const PROBES: { at: Date; period: Period }[] = [
  { at: second(JULY_20, -1), period: 'before July 20' },
  { at: second(JULY_20, 1), period: 'from July 20' },
  { at: second(SEPTEMBER_29, -1), period: 'from July 20' },
  { at: second(SEPTEMBER_29, 1), period: 'from September 29' },
];

/** What the scenario states for anyone the US rules reach (US person anywhere, anyone in the US). */
const US_REACHED: Record<PolicyAction, Record<Period, PolicyEffect>> = {
  //                      before July 20 | from July 20 | from September 29
  'license.sell': /*   */ { 'before July 20': 'allow', 'from July 20': 'deny', 'from September 29': 'deny' },
  'license.renew': /*  */ { 'before July 20': 'allow', 'from July 20': 'deny', 'from September 29': 'deny' },
  'license.transfer': { 'before July 20': 'allow', 'from July 20': 'allow', 'from September 29': 'deny' },
  'license.activate': { 'before July 20': 'allow', 'from July 20': 'allow', 'from September 29': 'allow' }, // continued use not penalised
  download: /*         */ { 'before July 20': 'allow', 'from July 20': 'allow', 'from September 29': 'deny' },
  update: /*           */ { 'before July 20': 'allow', 'from July 20': 'allow', 'from September 29': 'deny' },
  'telemetry.collect': { 'before July 20': 'allow', 'from July 20': 'allow', 'from September 29': 'deny' },
  'reputation.lookup': { 'before July 20': 'allow', 'from July 20': 'allow', 'from September 29': 'deny' },
  'intel.feed': /*     */ { 'before July 20': 'allow', 'from July 20': 'allow', 'from September 29': 'allow' }, // exempt
};

/** Germany: an advisory warning, so a notice on download and update, never a deny. */
const GERMANY: Record<PolicyAction, PolicyEffect> = {
  'license.sell': 'allow',
  'license.renew': 'allow',
  'license.transfer': 'allow',
  'license.activate': 'allow',
  download: 'notice',
  update: 'notice',
  'telemetry.collect': 'allow',
  'reputation.lookup': 'allow',
  'intel.feed': 'allow',
};

const SUBJECTS: { name: string; subject: PolicySubject; expected: (a: PolicyAction, p: Period) => PolicyEffect; decidedBy: 'location' | 'person' }[] = [
  { name: 'US customer in the US', subject: { person: 'US', location: 'US' }, expected: (a, p) => US_REACHED[a][p], decidedBy: 'location' },
  { name: 'US person abroad', subject: { person: 'US', location: 'FR' }, expected: (a, p) => US_REACHED[a][p], decidedBy: 'person' },
  { name: 'German customer', subject: { person: 'DE', location: 'DE' }, expected: (a) => GERMANY[a], decidedBy: 'location' },
  { name: 'French customer travelling in the US', subject: { person: 'FR', location: 'US' }, expected: (a, p) => US_REACHED[a][p], decidedBy: 'location' },
];

const GRID = SUBJECTS.flatMap((s) =>
  PROBES.flatMap((probe) => POLICY_ACTIONS.map((action) => ({ ...s, ...probe, action, want: s.expected(action, probe.period) }))),
);

describe('reference scenario us-2024', () => {
  it('puts the effective times at midnight US Eastern daylight time', () => {
    expect(JULY_20.toISOString()).toBe('2024-07-20T04:00:00.000Z');
    expect(SEPTEMBER_29.toISOString()).toBe('2024-09-29T04:00:00.000Z');
  });

  it.each(GRID)('$name, $action, $period ($at): $want', ({ subject, action, at, want, decidedBy }) => {
    const d = decide(rules, subject, action, at);
    expect(d.decision, explainDecision(d)).toBe(want);
    if (d.rule !== null) {
      expect(d.attribute).toBe(decidedBy);
      expect(d.reason?.length).toBeGreaterThan(80);
      expect(d.reference).toMatch(/Final Determination of 2024-06-20|§7 BSIG of 2022-03-15/);
    }
  });

  it('decides intel.feed in the US by the explicit exemption rule, not by default', () => {
    const d = decide(rules, { person: 'US', location: 'US' }, 'intel.feed', second(SEPTEMBER_29, 1));
    expect(d).toMatchObject({ decision: 'allow', jurisdiction: 'US' });
    expect(d.rule).not.toBeNull();
  });

  it('never denies German customers, at any time', () => {
    const instants = [new Date('2000-01-01T00:00:00Z'), ...rules.flatMap((r) => [new Date(r.fromUtc), second(new Date(r.fromUtc), -1)]), new Date('2030-01-01T00:00:00Z')];
    for (const at of instants) {
      for (const action of POLICY_ACTIONS) {
        expect(decide(rules, { person: 'DE', location: 'DE' }, action, at).decision).not.toBe('deny');
      }
    }
  });

  it('reasons say what stopped, since when, why, and what the user can do', () => {
    for (const rule of rules.filter((r) => r.effect === 'deny' && ['update', 'download', 'reputation.lookup'].includes(r.action))) {
      expect(rule.reason).toMatch(/29 September 2024/);
      expect(rule.reason).toMatch(/Final Determination/);
      expect(rule.reason).toMatch(/last valid signature database/);
    }
  });
});
