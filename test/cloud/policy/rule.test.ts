import { describe, expect, it } from 'vitest';
import { PolicyError, parseRuleSet, ruleInputSchema, toPolicyRule, type RuleInput } from '../../../src/cloud/policy/index.js';

const VALID: RuleInput = {
  jurisdiction: 'US',
  applies_to: 'either',
  action: 'update',
  effect: 'deny',
  from: '2024-09-29T00:00',
  zone: 'America/New_York',
  reason: 'Updates stopped.',
  reference: 'BIS Final Determination 2024-06-20',
};

/** The paths of every issue a rejected rule reports, joined with dots. */
function rejectedPaths(input: unknown): string[] {
  try {
    toPolicyRule('r1', 1, input);
  } catch (e) {
    expect(e).toBeInstanceOf(PolicyError);
    expect((e as PolicyError).code).toBe('INVALID_RULE');
    return (e as PolicyError).issues.map((i) => i.path.join('.'));
  }
  throw new Error('rule was accepted');
}

describe('ruleInputSchema', () => {
  it('accepts a local time with zone, and an instant without zone', () => {
    expect(ruleInputSchema.safeParse(VALID).success).toBe(true);
    const { zone: _zone, ...noZone } = VALID;
    expect(ruleInputSchema.safeParse({ ...noZone, from: '2024-09-29T04:00:00Z', until: '2025-01-01T00:00:00+01:00' }).success).toBe(true);
  });

  it('rejects an unknown field with its path', () => {
    expect(rejectedPaths({ ...VALID, colour: 'red' })).toEqual(['colour']);
  });

  it.each(['us', 'USA', 'U', 'US-', 'US-CAXX', 'US_CA', 'us-ca', ' US'])('rejects the jurisdiction %j', (jurisdiction) => {
    expect(rejectedPaths({ ...VALID, jurisdiction })).toEqual(['jurisdiction']);
  });

  it.each(['US', 'DE', 'US-CA', 'DE-BY', 'GB-ENG', 'FR-75'])('accepts the jurisdiction %j', (jurisdiction) => {
    expect(ruleInputSchema.safeParse({ ...VALID, jurisdiction }).success).toBe(true);
  });

  it('rejects until before or equal to from, on until', () => {
    expect(rejectedPaths({ ...VALID, until: '2024-09-28T00:00' })).toEqual(['until']);
    // Same instant written in two forms: 00:00 New York is 04:00Z.
    expect(rejectedPaths({ ...VALID, until: '2024-09-29T04:00:00Z' })).toEqual(['until']);
    expect(ruleInputSchema.safeParse({ ...VALID, until: '2024-09-29T04:00:01Z' }).success).toBe(true);
  });

  it('rejects a local time without zone, on the time field', () => {
    const { zone: _zone, ...noZone } = VALID;
    expect(rejectedPaths(noZone)).toEqual(['from']);
    expect(rejectedPaths({ ...noZone, from: '2024-01-01T00:00:00Z', until: '2025-01-01T00:00' })).toEqual(['until']);
  });

  it('rejects a zone that is not an IANA name, on zone', () => {
    expect(rejectedPaths({ ...VALID, zone: 'Eastern Time' })).toEqual(['zone']);
    expect(rejectedPaths({ ...VALID, zone: 'America/Gotham' })).toEqual(['zone']);
  });

  it('rejects malformed times, unknown actions and effects, with their paths', () => {
    expect(rejectedPaths({ ...VALID, from: '2024-09-29' })).toEqual(['from']);
    expect(rejectedPaths({ ...VALID, action: 'license.steal', effect: 'ban', applies_to: 'anyone' }).sort()).toEqual(['action', 'applies_to', 'effect']);
  });

  it('rejects empty or marked-up reasons and empty references', () => {
    expect(rejectedPaths({ ...VALID, reason: '   ' })).toEqual(['reason']);
    expect(rejectedPaths({ ...VALID, reason: 'see <b>here</b>' })).toEqual(['reason']);
    expect(rejectedPaths({ ...VALID, reason: 'x'.repeat(2001) })).toEqual(['reason']);
    expect(rejectedPaths({ ...VALID, reference: '' })).toEqual(['reference']);
  });

  it('reports missing fields with their paths', () => {
    expect(rejectedPaths({}).sort()).toEqual(['action', 'applies_to', 'effect', 'from', 'jurisdiction', 'reason', 'reference']);
  });
});

describe('toPolicyRule', () => {
  it('keeps the times as given and adds UTC instants', () => {
    const rule = toPolicyRule('r3', 2, { ...VALID, until: '2025-01-01T00:00', exempt_products: ['feeds'] });
    expect(rule).toEqual({
      id: 'r3',
      version: 2,
      jurisdiction: 'US',
      appliesTo: 'either',
      action: 'update',
      effect: 'deny',
      from: '2024-09-29T00:00',
      until: '2025-01-01T00:00',
      zone: 'America/New_York',
      fromUtc: '2024-09-29T04:00:00.000Z',
      untilUtc: '2025-01-01T05:00:00.000Z',
      exemptProducts: ['feeds'],
      reason: 'Updates stopped.',
      reference: 'BIS Final Determination 2024-06-20',
    });
  });

  it('leaves optional fields out rather than undefined', () => {
    const rule = toPolicyRule('r1', 1, { ...VALID, from: '2024-09-29T04:00:00Z', zone: undefined });
    expect(Object.keys(rule)).not.toContain('until');
    expect(Object.keys(rule)).not.toContain('untilUtc');
    expect(Object.keys(rule)).not.toContain('zone');
  });

  it('rejects an empty id and a version below 1', () => {
    expect(() => toPolicyRule('', 1, VALID)).toThrow(expect.objectContaining({ code: 'INVALID_RULE', path: ['id'] }));
    expect(() => toPolicyRule('r1', 0, VALID)).toThrow(expect.objectContaining({ code: 'INVALID_RULE', path: ['version'] }));
  });
});

describe('parseRuleSet', () => {
  it('reports a bad rule with its index in the path', () => {
    try {
      parseRuleSet({ name: 'x', rules: [VALID, { ...VALID, until: '2020-01-01T00:00', extra: 1 }] });
      throw new Error('accepted');
    } catch (e) {
      expect(e).toMatchObject({ code: 'INVALID_RULE_SET' });
      expect((e as PolicyError).issues.map((i) => i.path).sort()).toEqual([
        ['rules', 1, 'extra'],
        ['rules', 1, 'until'],
      ]);
      expect((e as PolicyError).message).toContain('rules.1.until');
    }
  });

  it('rejects unknown top-level fields', () => {
    expect(() => parseRuleSet({ name: 'x', rules: [], version: 2 })).toThrow(expect.objectContaining({ path: ['version'] }));
  });
});
