import { describe, expect, it } from 'vitest';
import { coversJurisdiction, decide, explainDecision } from '../../../src/cloud/policy/index.js';
import { makeRule } from './make-rule.js';

const AT = new Date('2024-10-01T00:00:00Z');
const US_HOME = { location: 'US', person: 'US' };

describe('decide: matching', () => {
  it('allows with no rule when nothing matches', () => {
    expect(decide([], US_HOME, 'update', AT)).toEqual({
      decision: 'allow',
      action: 'update',
      at: '2024-10-01T00:00:00.000Z',
      rule: null,
      attribute: null,
      jurisdiction: null,
    });
  });

  it('matches only the rule action', () => {
    const rule = makeRule({ action: 'download' });
    expect(decide([rule], US_HOME, 'update', AT).decision).toBe('allow');
    expect(decide([rule], US_HOME, 'download', AT).decision).toBe('deny');
  });

  it('starts at from (inclusive) and ends at until (exclusive)', () => {
    const rule = makeRule({ from: '2024-01-01T00:00:00Z', until: '2024-02-01T00:00:00Z' });
    const at = (iso: string): string => decide([rule], US_HOME, 'update', new Date(iso)).decision;
    expect(at('2023-12-31T23:59:59.999Z')).toBe('allow');
    expect(at('2024-01-01T00:00:00.000Z')).toBe('deny');
    expect(at('2024-01-31T23:59:59.999Z')).toBe('deny');
    expect(at('2024-02-01T00:00:00.000Z')).toBe('allow');
  });

  it('skips a rule that exempts the subject product', () => {
    const rule = makeRule({ exempt_products: ['intel-feed'] });
    expect(decide([rule], { ...US_HOME, product: 'intel-feed' }, 'update', AT).decision).toBe('allow');
    expect(decide([rule], { ...US_HOME, product: 'endpoint' }, 'update', AT).decision).toBe('deny');
    expect(decide([rule], US_HOME, 'update', AT).decision).toBe('deny');
  });

  it('lets a country rule cover its subdivisions, but not the reverse', () => {
    expect(coversJurisdiction('US', 'US-CA')).toBe(true);
    expect(coversJurisdiction('US', 'US')).toBe(true);
    expect(coversJurisdiction('US-CA', 'US')).toBe(false);
    expect(coversJurisdiction('US-CA', 'US-NY')).toBe(false);
    expect(coversJurisdiction('US', 'USA')).toBe(false);
    const state = makeRule({ jurisdiction: 'US-CA', applies_to: 'location' });
    expect(decide([state], { location: 'US' }, 'update', AT).decision).toBe('allow');
    expect(decide([state], { location: 'US-CA' }, 'update', AT).decision).toBe('deny');
    const country = makeRule({ applies_to: 'location' });
    expect(decide([country], { location: 'US-CA' }, 'update', AT)).toMatchObject({ decision: 'deny', jurisdiction: 'US' });
  });

  it('looks only at the attribute a rule applies to', () => {
    const byPerson = makeRule({ applies_to: 'person' });
    expect(decide([byPerson], { location: 'US', person: 'FR' }, 'update', AT).decision).toBe('allow');
    expect(decide([byPerson], { location: 'FR', person: 'US' }, 'update', AT)).toMatchObject({ decision: 'deny', attribute: 'person' });
    const byLocation = makeRule({ applies_to: 'location' });
    expect(decide([byLocation], { location: 'FR', person: 'US' }, 'update', AT).decision).toBe('allow');
    expect(decide([byLocation], {}, 'update', AT).decision).toBe('allow');
  });

  it('compares subject codes in upper case', () => {
    expect(decide([makeRule()], { location: 'us-ca' }, 'update', AT).decision).toBe('deny');
  });

  it('rejects an invalid Date', () => {
    expect(() => decide([], US_HOME, 'update', new Date(Number.NaN))).toThrow(expect.objectContaining({ code: 'INVALID_TIME' }));
  });
});

// Each test pits the step against a loser that wins every LATER step, so the test fails if the step
// were missing or moved below any later one.
describe('decide: resolution order', () => {
  it('1. deny wins over notice, and notice over allow', () => {
    const allow = makeRule({ effect: 'allow', jurisdiction: 'US-CA', applies_to: 'location', from: '2024-06-01T00:00:00Z' }, 'a');
    const notice = makeRule({ effect: 'notice', jurisdiction: 'US-CA', applies_to: 'location', from: '2024-03-01T00:00:00Z' }, 'b');
    const deny = makeRule({ effect: 'deny', jurisdiction: 'US', applies_to: 'person', from: '2024-01-01T00:00:00Z' }, 'c');
    const subject = { location: 'US-CA', person: 'US' };
    expect(decide([allow, notice, deny], subject, 'update', AT).rule?.id).toBe('c');
    expect(decide([allow, notice], subject, 'update', AT).rule?.id).toBe('b');
    const lateNotice = makeRule({ effect: 'notice', jurisdiction: 'US', applies_to: 'person', from: '2024-01-01T00:00:00Z' }, 'z');
    expect(decide([allow, lateNotice], subject, 'update', AT)).toMatchObject({ decision: 'notice', rule: { id: 'z' } });
  });

  it('2. a subdivision rule wins over a country rule of the same effect', () => {
    const country = makeRule({ jurisdiction: 'US', applies_to: 'location', from: '2024-06-01T00:00:00Z' }, 'a');
    const state = makeRule({ jurisdiction: 'US-CA', applies_to: 'person', from: '2024-01-01T00:00:00Z' }, 'b');
    expect(decide([country, state], { location: 'US-CA', person: 'US-CA' }, 'update', AT)).toMatchObject({
      rule: { id: 'b' },
      attribute: 'person',
      jurisdiction: 'US-CA',
    });
  });

  it('3. a match by location wins over a match by person', () => {
    const byPerson = makeRule({ applies_to: 'person', from: '2024-06-01T00:00:00Z' }, 'a');
    const byLocation = makeRule({ applies_to: 'location', from: '2024-01-01T00:00:00Z' }, 'b');
    expect(decide([byPerson, byLocation], US_HOME, 'update', AT)).toMatchObject({ rule: { id: 'b' }, attribute: 'location' });
  });

  it('3. an either rule that matches both attributes reports location', () => {
    expect(decide([makeRule()], US_HOME, 'update', AT).attribute).toBe('location');
    expect(decide([makeRule()], { location: 'FR', person: 'US' }, 'update', AT).attribute).toBe('person');
  });

  it('4. the rule with the latest from wins', () => {
    const older = makeRule({ from: '2024-01-01T00:00:00Z' }, 'a');
    const newer = makeRule({ from: '2024-06-01T00:00:00Z' }, 'b');
    expect(decide([older, newer], US_HOME, 'update', AT)).toMatchObject({ rule: { id: 'b' }, since: '2024-06-01T00:00:00.000Z' });
  });

  it('5. the lowest id wins when all else is equal, numeric ids by number', () => {
    expect(decide([makeRule({}, 'b'), makeRule({}, 'a')], US_HOME, 'update', AT).rule?.id).toBe('a');
    expect(decide([makeRule({}, '10'), makeRule({}, '9')], US_HOME, 'update', AT).rule?.id).toBe('9');
    expect(decide([makeRule({}, 'a'), makeRule({}, '10')], US_HOME, 'update', AT).rule?.id).toBe('10');
  });

  it('6. the highest version wins for two versions of one rule', () => {
    expect(decide([makeRule({}, 'a', 1), makeRule({}, 'a', 2)], US_HOME, 'update', AT).rule).toEqual({ id: 'a', version: 2 });
  });
});

describe('explainDecision', () => {
  it('gives one line starting with the decision word', () => {
    const rule = makeRule({ applies_to: 'person', from: '2024-09-29T00:00', zone: 'America/New_York', reason: 'Updates stopped.\nKeep scanning.', reference: 'BIS 2024-06-20' }, 'r3');
    expect(explainDecision(decide([rule], { location: 'FR', person: 'US' }, 'update', AT))).toBe(
      'deny: rule r3 v1 (US, by person) since 2024-09-29T04:00:00.000Z: Updates stopped. Keep scanning. [BIS 2024-06-20]',
    );
    expect(explainDecision(decide([], US_HOME, 'download', AT))).toBe('allow: no rule applies to download at 2024-10-01T00:00:00.000Z');
  });
});
