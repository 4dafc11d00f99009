import { describe, expect, it } from 'vitest';
import {
  PolicyError,
  isValidTimeZone,
  localToUtc,
  parseInstant,
  parseLocalDateTime,
  resolveTime,
  zoneOffsetMs,
} from '../../../src/cloud/policy/index.js';

function utcOf(local: string, zone: string): string {
  const parsed = parseLocalDateTime(local);
  if (parsed === null) throw new Error(`bad local ${local}`);
  return localToUtc(parsed, zone).toISOString();
}

describe('localToUtc', () => {
  it.each([
    ['2024-07-20T00:00', 'America/New_York', '2024-07-20T04:00:00.000Z'], // EDT
    ['2024-09-29T00:00', 'America/New_York', '2024-09-29T04:00:00.000Z'],
    ['2024-01-15T12:00', 'America/New_York', '2024-01-15T17:00:00.000Z'], // EST
    ['2022-03-15T00:00', 'Europe/Berlin', '2022-03-14T23:00:00.000Z'], // CET
    ['2024-07-01T12:30:15', 'Europe/Berlin', '2024-07-01T10:30:15.000Z'], // CEST
    ['2024-07-01T12:00', 'UTC', '2024-07-01T12:00:00.000Z'],
    ['2024-07-01T12:00', 'Asia/Kolkata', '2024-07-01T06:30:00.000Z'],
    ['0050-06-01T00:00', 'UTC', '0050-06-01T00:00:00.000Z'], // not shifted to 1950
  ])('reads %s in %s as %s', (local, zone, expected) => {
    expect(utcOf(local, zone)).toBe(expected);
  });

  it('moves a nonexistent New York time (spring-forward gap) forward by the gap, into EDT', () => {
    // 2024-03-10: 02:00 EST jumps to 03:00 EDT; 02:30 does not exist and becomes 03:30 EDT.
    expect(utcOf('2024-03-10T02:30', 'America/New_York')).toBe('2024-03-10T07:30:00.000Z');
    expect(utcOf('2024-03-10T02:00', 'America/New_York')).toBe('2024-03-10T07:00:00.000Z');
    expect(utcOf('2024-03-10T01:59:59', 'America/New_York')).toBe('2024-03-10T06:59:59.000Z');
    expect(utcOf('2024-03-10T03:00', 'America/New_York')).toBe('2024-03-10T07:00:00.000Z');
  });

  it('picks the earlier instant for an ambiguous New York time (fall-back overlap)', () => {
    // 2024-11-03: 01:00-01:59 happens twice, first in EDT (-4) then in EST (-5).
    expect(utcOf('2024-11-03T01:30', 'America/New_York')).toBe('2024-11-03T05:30:00.000Z');
    expect(utcOf('2024-11-03T00:59:59', 'America/New_York')).toBe('2024-11-03T04:59:59.000Z');
    expect(utcOf('2024-11-03T02:00', 'America/New_York')).toBe('2024-11-03T07:00:00.000Z');
  });

  it('handles the Berlin gap and overlap the same way', () => {
    // 2024-03-31: 02:00 CET jumps to 03:00 CEST.
    expect(utcOf('2024-03-31T02:30', 'Europe/Berlin')).toBe('2024-03-31T01:30:00.000Z');
    // 2024-10-27: 02:00-02:59 happens twice, first in CEST (+2).
    expect(utcOf('2024-10-27T02:30', 'Europe/Berlin')).toBe('2024-10-27T00:30:00.000Z');
    expect(utcOf('2024-10-27T03:00', 'Europe/Berlin')).toBe('2024-10-27T02:00:00.000Z');
  });

  it('handles a half-hour daylight saving shift (Lord Howe Island)', () => {
    // 2024-10-06: 02:00 (+10:30) jumps to 02:30 (+11); 02:15 becomes 02:45 +11.
    expect(utcOf('2024-10-06T02:15', 'Australia/Lord_Howe')).toBe('2024-10-05T15:45:00.000Z');
  });

  it('rejects an unknown zone with INVALID_ZONE', () => {
    const local = parseLocalDateTime('2024-01-01T00:00')!;
    expect(() => localToUtc(local, 'Mars/Olympus_Mons')).toThrow(expect.objectContaining({ code: 'INVALID_ZONE' }));
  });
});

describe('zoneOffsetMs', () => {
  it('gives New York offsets on both sides of the March change', () => {
    expect(zoneOffsetMs(Date.parse('2024-03-10T06:59:59Z'), 'America/New_York')).toBe(-5 * 3600_000);
    expect(zoneOffsetMs(Date.parse('2024-03-10T07:00:00Z'), 'America/New_York')).toBe(-4 * 3600_000);
  });
});

describe('parseInstant', () => {
  it.each([
    ['2024-09-29T04:00:00Z', '2024-09-29T04:00:00.000Z'],
    ['2024-09-29T04:00Z', '2024-09-29T04:00:00.000Z'],
    ['2024-09-29T00:00:00-04:00', '2024-09-29T04:00:00.000Z'],
    ['2024-09-29T06:00:00+02:00', '2024-09-29T04:00:00.000Z'],
    ['2024-09-29T04:00:00.123456Z', '2024-09-29T04:00:00.123Z'],
    ['2024-02-29T00:00:00+05:30', '2024-02-28T18:30:00.000Z'],
  ])('reads %s', (text, expected) => {
    expect(parseInstant(text)?.toISOString()).toBe(expected);
  });

  it.each([
    '2024-09-29T04:00:00', // no offset: a local time, not an instant
    '2024-09-29 04:00:00Z',
    '2024-09-29T04:00:00z',
    '2024-13-01T00:00:00Z',
    '2023-02-29T00:00:00Z',
    '2024-09-29T24:00:00Z',
    '2024-09-29T04:60:00Z',
    '2024-09-29T04:00:60Z',
    '2024-09-29T04:00:00+24:00',
    '2024-09-29T04:00:00+0400',
    '20240929T040000Z',
    '',
  ])('rejects %j', (text) => {
    expect(parseInstant(text)).toBeNull();
  });
});

describe('parseLocalDateTime', () => {
  it('reads minutes and optional seconds', () => {
    expect(parseLocalDateTime('2024-07-20T00:00')).toEqual({ year: 2024, month: 7, day: 20, hour: 0, minute: 0, second: 0 });
    expect(parseLocalDateTime('2024-07-20T23:59:58')?.second).toBe(58);
  });

  it.each(['2024-07-20', '2024-07-20T00:00Z', '2024-07-20T00:00:00.5', '2024-06-31T00:00', '2024-07-20T25:00'])('rejects %j', (text) => {
    expect(parseLocalDateTime(text)).toBeNull();
  });
});

describe('resolveTime', () => {
  it('takes an instant as is, whatever the zone', () => {
    expect(resolveTime('2024-09-29T04:00:00Z', 'Europe/Berlin').toISOString()).toBe('2024-09-29T04:00:00.000Z');
  });

  it('needs a zone for a local time', () => {
    expect(() => resolveTime('2024-09-29T00:00')).toThrow(PolicyError);
    expect(resolveTime('2024-09-29T00:00', 'America/New_York').toISOString()).toBe('2024-09-29T04:00:00.000Z');
  });
});

describe('isValidTimeZone', () => {
  it('accepts IANA names and rejects others', () => {
    expect(isValidTimeZone('America/New_York')).toBe(true);
    expect(isValidTimeZone('Europe/Berlin')).toBe(true);
    expect(isValidTimeZone('UTC')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus_Mons')).toBe(false);
    expect(isValidTimeZone('+05:00')).toBe(false);
    expect(isValidTimeZone('')).toBe(false);
  });
});
