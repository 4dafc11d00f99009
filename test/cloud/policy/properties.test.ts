// Properties of the policy core, checked with generated rules, subjects, instants and inputs.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  POLICY_ACTIONS,
  PolicyError,
  decide,
  localToUtc,
  ruleInputSchema,
  toLocalDateTime,
  toPolicyRule,
  type PolicyRule,
  type PolicySubject,
} from '../../../src/cloud/policy/index.js';

const CODES = ['US', 'US-CA', 'US-NY', 'DE', 'DE-BY', 'FR'] as const;
const INSTANTS = ['2024-01-01T00:00:00Z', '2024-03-01T00:00:00Z', '2024-06-01T00:00:00Z', '2024-09-01T00:00:00Z'] as const;

const ruleInput = fc.record({
  jurisdiction: fc.constantFrom(...CODES),
  applies_to: fc.constantFrom('location', 'person', 'either'),
  action: fc.constantFrom(...POLICY_ACTIONS.slice(0, 3)),
  effect: fc.constantFrom('allow', 'notice', 'deny'),
  fromIndex: fc.nat({ max: INSTANTS.length - 2 }),
  length: fc.option(fc.integer({ min: 1, max: 2 }), { nil: undefined }),
  exempt: fc.boolean(),
});

/** Rules with unique ids (the store guarantees them), from a small pool so that they collide often. */
const rules: fc.Arbitrary<PolicyRule[]> = fc.array(ruleInput, { maxLength: 8 }).map((inputs) =>
  inputs.map((r, i) => {
    const until = r.length === undefined ? undefined : INSTANTS[Math.min(r.fromIndex + r.length, INSTANTS.length - 1)];
    return toPolicyRule(`${i + 1}`, 1, {
      jurisdiction: r.jurisdiction,
      applies_to: r.applies_to,
      action: r.action,
      effect: r.effect,
      from: INSTANTS[r.fromIndex]!,
      ...(until === undefined ? {} : { until }),
      ...(r.exempt ? { exempt_products: ['feeds'] } : {}),
      reason: 'Generated rule.',
      reference: 'Generated.',
    });
  }),
);

const subject: fc.Arbitrary<PolicySubject> = fc.record(
  { location: fc.constantFrom(...CODES), person: fc.constantFrom(...CODES), product: fc.constantFrom('feeds', 'endpoint') },
  { requiredKeys: [] },
);
const instant = fc.integer({ min: Date.parse('2023-12-01T00:00:00Z'), max: Date.parse('2024-10-01T00:00:00Z') }).map((ms) => new Date(ms));
const action = fc.constantFrom(...POLICY_ACTIONS.slice(0, 3));

describe('decide properties', () => {
  it('is deterministic and independent of the order of the rules', () => {
    const shuffled = rules.chain((rs) => fc.tuple(fc.constant(rs), fc.shuffledSubarray(rs, { minLength: rs.length, maxLength: rs.length })));
    fc.assert(
      fc.property(shuffled, subject, action, instant, ([original, permuted], s, a, at) => {
        const first = decide(original, s, a, at);
        expect(decide(original, s, a, at)).toEqual(first);
        expect(decide(permuted, s, a, at)).toEqual(first);
      }),
    );
  });

  it('a matching deny rule always wins over allow and notice rules', () => {
    fc.assert(
      fc.property(rules, fc.constantFrom(...CODES), action, instant, (others, location, a, at) => {
        const deny = toPolicyRule('deny', 1, {
          jurisdiction: location,
          applies_to: 'location',
          action: a,
          effect: 'deny',
          from: '2000-01-01T00:00:00Z',
          reason: 'Denied.',
          reference: 'Test.',
        });
        const mild = others.filter((r) => r.effect !== 'deny');
        const d = decide([...mild, deny], { location, person: 'FR' }, a, at);
        expect(d.decision).toBe('deny');
        expect(d.rule?.id).toBe('deny');
      }),
    );
  });

  it('never decides by a rule that does not match the action or the instant', () => {
    fc.assert(
      fc.property(rules, subject, action, instant, (rs, s, a, at) => {
        const d = decide(rs, s, a, at);
        if (d.rule === null) return;
        const rule = rs.find((r) => r.id === d.rule?.id)!;
        expect(rule.action).toBe(a);
        expect(Date.parse(rule.fromUtc)).toBeLessThanOrEqual(at.getTime());
        if (rule.untilUtc !== undefined) expect(at.getTime()).toBeLessThan(Date.parse(rule.untilUtc));
        expect(d.decision).toBe(rule.effect);
      }),
    );
  });
});

describe('zoned time properties', () => {
  const zones = fc.constantFrom('America/New_York', 'Europe/Berlin', 'Australia/Lord_Howe', 'Asia/Kolkata', 'America/Sao_Paulo', 'UTC');
  const seconds = fc.integer({ min: Date.parse('1970-01-01T00:00:00Z') / 1000, max: Date.parse('2040-01-01T00:00:00Z') / 1000 });

  it('maps the wall time of any instant back to that instant, or to the earlier one of an overlap', () => {
    fc.assert(
      fc.property(seconds, zones, (s, zone) => {
        const instant = new Date(s * 1000);
        const local = toLocalDateTime(instant, zone);
        const back = localToUtc(local, zone);
        expect(toLocalDateTime(back, zone)).toEqual(local);
        expect(back.getTime()).toBeLessThanOrEqual(instant.getTime());
        // An overlap lasts at most the size of the change: two hours covers every zone here.
        expect(instant.getTime() - back.getTime()).toBeLessThanOrEqual(2 * 3600_000);
      }),
      { numRuns: 500 },
    );
  });
});

describe('rule schema properties', () => {
  it('never throws on arbitrary JSON, and toPolicyRule throws only PolicyError', () => {
    const keys = fc.constantFrom('jurisdiction', 'applies_to', 'action', 'effect', 'from', 'until', 'zone', 'exempt_products', 'reason', 'reference', 'other');
    const value = fc.oneof(fc.jsonValue(), fc.constantFrom('US', 'either', 'update', 'deny', '2024-01-01T00:00', '2024-01-01T00:00Z', 'America/New_York'));
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.dictionary(keys, value)), (input) => {
        expect(() => ruleInputSchema.safeParse(input)).not.toThrow();
        try {
          toPolicyRule('r1', 1, input);
        } catch (e) {
          expect(e).toBeInstanceOf(PolicyError);
        }
      }),
    );
  });
});
