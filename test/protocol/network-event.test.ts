// The security network's event format: checked by the agent before queueing, and (through the
// same limits) by the cloud's route schema. Hostile events are refused with the field's path.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EVENT_TEXT_LIMITS, isEventInstant, MAX_EVENTS_PER_BATCH, parseNetworkEvent, type NetworkEvent } from '../../src/protocol/index.js';
import { refusal } from './wire-check.js';

const SHA = 'cd'.repeat(32);
const OK: NetworkEvent = { kind: 'detection', sha256: SHA, size: 68, file_type: 'text', detection: 'Eicar-Signature', engine: '0.1.0', database: 'sha256:0123456789abcdef', seen_at: '2026-03-01T10:00:00.000Z' };
const UNKNOWN: NetworkEvent = { ...OK, kind: 'unknown-executable', detection: null, file_type: 'pe' };

describe('network event', () => {
  it('accepts both kinds and keeps exactly the wire fields', () => {
    expect(parseNetworkEvent(OK)).toEqual(OK);
    expect(parseNetworkEvent(UNKNOWN)).toEqual(UNKNOWN);
    expect(MAX_EVENTS_PER_BATCH).toBe(1000);
  });

  it('normalises seen_at to UTC with milliseconds', () => {
    expect(parseNetworkEvent({ ...OK, seen_at: '2026-03-01T12:00:00+02:00' }).seen_at).toBe('2026-03-01T10:00:00.000Z');
    expect(parseNetworkEvent({ ...OK, seen_at: '2026-03-01T10:00:00.123456Z' }).seen_at).toBe('2026-03-01T10:00:00.123Z');
  });

  it('accepts every text at its limits and refuses one character past them', () => {
    for (const [field, { min, max }] of Object.entries(EVENT_TEXT_LIMITS)) {
      expect(parseNetworkEvent({ ...OK, [field]: 'x'.repeat(max) })[field as keyof NetworkEvent]).toHaveLength(max);
      expect(refusal(() => parseNetworkEvent({ ...OK, [field]: 'x'.repeat(max + 1) }))).toMatchObject({ code: 'BAD_VALUE', field: `event.${field}` });
      if (min > 0) expect(refusal(() => parseNetworkEvent({ ...OK, [field]: '' }))).toMatchObject({ field: `event.${field}` });
      else expect(parseNetworkEvent({ ...OK, [field]: '' })).toBeDefined();
    }
  });

  it('refuses malformed and hostile events, naming the field', () => {
    const cases: [unknown, string, string][] = [
      [null, 'MALFORMED', 'event'],
      [[OK], 'MALFORMED', 'event'],
      ['{}', 'MALFORMED', 'event'],
      [{ ...OK, kind: 'file-contents' }, 'BAD_VALUE', 'event.kind'],
      [{ ...OK, sha256: SHA.toUpperCase() }, 'BAD_VALUE', 'event.sha256'],
      [{ ...OK, sha256: SHA.slice(1) }, 'BAD_VALUE', 'event.sha256'],
      [{ ...OK, size: '68' }, 'BAD_VALUE', 'event.size'],
      [{ ...OK, size: -1 }, 'BAD_VALUE', 'event.size'],
      [{ ...OK, size: 1.5 }, 'BAD_VALUE', 'event.size'],
      [{ ...OK, size: 2 ** 53 }, 'BAD_VALUE', 'event.size'],
      [{ ...OK, detection: null }, 'MISSING_FIELD', 'event.detection'],
      [{ ...UNKNOWN, detection: 'x' }, 'BAD_VALUE', 'event.detection'],
      [{ ...OK, detection: 'a\u0000b' }, 'BAD_VALUE', 'event.detection'],
      [{ ...OK, detection: 'a\nb' }, 'BAD_VALUE', 'event.detection'],
      [{ ...OK, detection: 'a\ud800b' }, 'BAD_VALUE', 'event.detection'],
      [{ ...OK, engine: 1 }, 'MALFORMED', 'event.engine'],
      [{ ...OK, seen_at: 1717200000 }, 'BAD_VALUE', 'event.seen_at'],
      [{ ...OK, seen_at: '2024-06-01 10:00' }, 'BAD_VALUE', 'event.seen_at'],
      [{ ...OK, seen_at: '2024-02-30T10:00:00Z' }, 'BAD_VALUE', 'event.seen_at'],
      [{ ...OK, seen_at: '2024-06-01T10:00Z' }, 'BAD_VALUE', 'event.seen_at'],
      [{ ...OK, path: 'C:\\Users\\alice\\evil.exe' }, 'UNKNOWN_FIELD', 'event.path'],
      [{ ...OK, user: 'alice' }, 'UNKNOWN_FIELD', 'event.user'],
    ];
    for (const [value, code, field] of cases) expect(refusal(() => parseNetworkEvent(value)), (JSON.stringify(value) as string | undefined)?.slice(0, 80)).toMatchObject({ code, field });
  });

  it('names where the event is, and says "printable" of control characters', () => {
    const r = refusal(() => parseNetworkEvent({ ...OK, detection: 'a\u001bb' }, { at: 'events.3' }));
    expect(r.field).toBe('events.3.detection');
    expect(r.reason).toMatch(/printable/);
  });

  it('drops unknown members only when told to (events this side built)', () => {
    const withPath = { ...OK, path: 'Users/alice/secret.exe' };
    expect(refusal(() => parseNetworkEvent(withPath)).code).toBe('UNKNOWN_FIELD');
    expect(parseNetworkEvent(withPath, { unknownFields: 'drop' })).toEqual(OK);
  });

  it('keeps a well-formed surrogate pair (an emoji is text)', () => {
    expect(parseNetworkEvent({ ...OK, detection: 'Win.\u{1F600}' }).detection).toBe('Win.\u{1F600}');
  });

  it('never throws anything but a WireFormatError on arbitrary JSON (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.dictionary(fc.constantFrom('kind', 'sha256', 'size', 'file_type', 'detection', 'engine', 'database', 'seen_at', 'x'), fc.jsonValue()), (value, patch) => {
        for (const input of [value, { ...OK, ...patch }]) {
          try {
            const e = parseNetworkEvent(input);
            expect(Object.keys(e).sort()).toEqual(Object.keys(OK).sort());
          } catch (err) {
            expect((err as Error).name).toBe('WireFormatError');
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('reads instants as RFC 3339 does', () => {
    for (const ok of ['2024-02-29T00:00:00Z', '2024-06-01T23:59:59.999999999-05:00', '1970-01-01T00:00:00+00:00']) expect(isEventInstant(ok), ok).toBe(true);
    for (const bad of ['2023-02-29T00:00:00Z', '2024-06-01T24:00:00Z', '2024-06-01T10:00:00', '2024-06-01', 'now', '']) expect(isEventInstant(bad), bad).toBe(false);
  });
});
