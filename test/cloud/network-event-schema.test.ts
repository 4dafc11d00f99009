// The cloud's route schema for network events is built from the wire format in protocol: the two
// must accept and refuse the same events, and agree on the field that is wrong.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { consentBody, eventBatch, lookupBody, networkEvent } from '../../src/cloud/network/event-schema.js';
import { CONSENT_CATEGORIES, EVENT_TEXT_LIMITS, MAX_EVENTS_PER_BATCH, MAX_PREFIXES_PER_LOOKUP, parseHashPrefix, parseNetworkEvent, WireFormatError, type NetworkEvent } from '../../src/protocol/index.js';

const SHA = 'ef'.repeat(32);
const OK: NetworkEvent = { kind: 'detection', sha256: SHA, size: 68, file_type: 'ASCII', detection: 'Win.Test', engine: '0.1.0', database: 'vigil-builtin-1', seen_at: '2024-06-01T10:00:00.000Z' };

/** The protocol's verdict on `value`: the event, or the field it refuses. */
function protocolVerdict(value: unknown): { ok: true; event: NetworkEvent } | { ok: false; field: string } {
  try {
    return { ok: true, event: parseNetworkEvent(value) };
  } catch (e) {
    if (!(e instanceof WireFormatError)) throw e;
    return { ok: false, field: e.field.replace(/^event\.?/, '') };
  }
}

function expectAgreement(value: unknown, label: string): void {
  const zod = networkEvent.safeParse(value);
  const ours = protocolVerdict(value);
  expect(zod.success, `${label}: zod ${zod.success ? 'accepts' : 'refuses'}, protocol ${ours.ok ? 'accepts' : `refuses ${ours.field}`}`).toBe(ours.ok);
  if (zod.success && ours.ok) expect(zod.data, label).toEqual(ours.event);
  if (!zod.success && !ours.ok && ours.field !== '') {
    const paths = zod.error.issues.map((i) => i.path.join('.'));
    // zod may report a discriminated union's problem at the union; otherwise it names the same field.
    if (!paths.includes('')) expect(paths, label).toContain(ours.field);
  }
}

describe('network event schema and protocol', () => {
  it('agree on the documented cases', () => {
    const cases: [string, unknown][] = [
      ['ok', OK],
      ['unknown executable', { ...OK, kind: 'unknown-executable', detection: null }],
      ['offset time', { ...OK, seen_at: '2024-06-01T12:00:00+02:00' }],
      ['bad hex', { ...OK, sha256: SHA.toUpperCase() }],
      ['negative size', { ...OK, size: -1 }],
      ['fractional size', { ...OK, size: 1.5 }],
      ['string size', { ...OK, size: '68' }],
      ['detection without a name', { ...OK, detection: null }],
      ['unknown executable with a name', { ...OK, kind: 'unknown-executable', detection: 'x' }],
      ['control character', { ...OK, detection: 'a\u0000b' }],
      ['lone surrogate', { ...OK, engine: 'a\udc00' }],
      ['emoji', { ...OK, detection: '\u{1F600}' }],
      ['not an instant', { ...OK, seen_at: '2024-06-01 10:00' }],
      ['no seconds', { ...OK, seen_at: '2024-06-01T10:00Z' }],
      ['not a day', { ...OK, seen_at: '2024-02-30T10:00:00Z' }],
      ['unknown field', { ...OK, path: 'C:\\x' }],
      ['empty file type', { ...OK, file_type: '' }],
      ['empty engine', { ...OK, engine: '' }],
      ...Object.entries(EVENT_TEXT_LIMITS).flatMap(([field, { max }]): [string, unknown][] => [
        [`${field} at its limit`, { ...OK, [field]: 'x'.repeat(max) }],
        [`${field} past its limit`, { ...OK, [field]: 'x'.repeat(max + 1) }],
      ]),
    ];
    for (const [label, value] of cases) expectAgreement(value, label);
  });

  it('agree on arbitrary events (property)', () => {
    const text = fc.oneof(fc.string({ maxLength: 210 }), fc.constantFrom('', 'a\u0000', '\ud800', '\u{1F600}', 'x'.repeat(40), 'x'.repeat(41), 'x'.repeat(80), 'x'.repeat(81)));
    const event = fc.record(
      {
        kind: fc.constantFrom('detection', 'unknown-executable', 'other'),
        sha256: fc.oneof(fc.constant(SHA), fc.string({ maxLength: 70 })),
        size: fc.oneof(fc.nat(), fc.integer(), fc.double(), fc.constant('1')),
        file_type: text,
        detection: fc.oneof(text, fc.constant(null)),
        engine: text,
        database: text,
        seen_at: fc.oneof(fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }).map((d) => d.toISOString()), fc.string({ maxLength: 30 }), fc.constant('2024-06-01T10:00:00+05:30')),
      },
      { requiredKeys: ['kind', 'sha256', 'size', 'seen_at'] },
    );
    fc.assert(
      fc.property(event, (e) => {
        expectAgreement(e, JSON.stringify(e).slice(0, 120));
      }),
      { numRuns: 500 },
    );
  });

  it('take the batch, consent and look-up limits from protocol', () => {
    const batch = (n: number) => ({ batch_id: '7c9e6679-7425-40de-944b-e07fc1f90ae7', events: Array.from({ length: n }, () => OK) });
    expect(eventBatch.safeParse(batch(MAX_EVENTS_PER_BATCH)).success).toBe(true);
    expect(eventBatch.safeParse(batch(MAX_EVENTS_PER_BATCH + 1)).success).toBe(false);
    expect(consentBody.safeParse({ enabled: true, categories: [...CONSENT_CATEGORIES] }).success).toBe(true);
    expect(consentBody.safeParse({ enabled: true, categories: ['everything'] }).success).toBe(false);
    expect(lookupBody.safeParse({ prefixes: Array.from({ length: MAX_PREFIXES_PER_LOOKUP }, () => 'abcd1234') }).success).toBe(true);
    expect(lookupBody.safeParse({ prefixes: Array.from({ length: MAX_PREFIXES_PER_LOOKUP + 1 }, () => 'abcd1234') }).success).toBe(false);
    for (const p of ['abcd', 'abc', 'ABCD', 'ab'.repeat(9), '0123456789abcdef']) {
      let ours = true;
      try {
        parseHashPrefix(p);
      } catch {
        ours = false;
      }
      expect(lookupBody.safeParse({ prefixes: [p] }).success, p).toBe(ours);
    }
  });
});
