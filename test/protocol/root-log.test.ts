// The root's `x-vigil-log` field: written by the cloud, read by the update client (clock required)
// and the auditor (clock optional). Hostile roots are refused with the field's path.
import { describe, expect, it } from 'vitest';
import { parseRootLogFields, parseRootLogInfo, ROOT_LOG_FIELD, ROOT_LOG_MAX_CHARS, withRootLogField } from '../../src/protocol/index.js';
import { refusal } from './wire-check.js';

const INFO = { origin: 'example.com/log', key: 'example.com/log+01234567+AQ==', clock: 'example.com/log/clock+89abcdef+BA==' };

describe('root log field', () => {
  it('is x-vigil-log, written beside the root fields and read back', () => {
    expect(ROOT_LOG_FIELD).toBe('x-vigil-log');
    const signed = withRootLogField({ _type: 'root', version: 1 }, { ...INFO, extra: 'dropped' } as never);
    expect(signed).toEqual({ _type: 'root', version: 1, 'x-vigil-log': INFO });
    expect(parseRootLogInfo(signed)).toEqual(INFO);
    expect(parseRootLogFields(signed)).toEqual(INFO);
  });

  it('lets the auditor read a root without a clock, and the client refuse it', () => {
    const fields = { [ROOT_LOG_FIELD]: { origin: INFO.origin, key: INFO.key } };
    expect(parseRootLogFields(fields)).toEqual({ origin: INFO.origin, key: INFO.key, clock: undefined });
    expect(refusal(() => parseRootLogInfo(fields))).toMatchObject({ code: 'MISSING_FIELD', field: 'x-vigil-log.clock' });
  });

  it('ignores members it does not know, as TUF ignores unknown fields', () => {
    expect(parseRootLogInfo({ [ROOT_LOG_FIELD]: { ...INFO, witnesses: ['a'] } })).toEqual(INFO);
  });

  it('refuses a missing, mistyped or oversized field, naming it', () => {
    const cases: [unknown, string, string][] = [
      [undefined, 'MISSING_FIELD', 'x-vigil-log'],
      [null, 'MALFORMED', 'x-vigil-log'],
      ['example.com/log', 'MALFORMED', 'x-vigil-log'],
      [[INFO], 'MALFORMED', 'x-vigil-log'],
      [{ key: INFO.key, clock: INFO.clock }, 'MISSING_FIELD', 'x-vigil-log.origin'],
      [{ origin: INFO.origin, clock: INFO.clock }, 'MISSING_FIELD', 'x-vigil-log.key'],
      [{ ...INFO, origin: 7 }, 'MALFORMED', 'x-vigil-log.origin'],
      [{ ...INFO, key: null }, 'MALFORMED', 'x-vigil-log.key'],
      [{ ...INFO, clock: { vkey: 'x' } }, 'MALFORMED', 'x-vigil-log.clock'],
      [{ ...INFO, origin: '' }, 'BAD_VALUE', 'x-vigil-log.origin'],
      [{ ...INFO, key: 'k'.repeat(ROOT_LOG_MAX_CHARS + 1) }, 'BAD_VALUE', 'x-vigil-log.key'],
    ];
    for (const [value, code, field] of cases) {
      const fields = value === undefined ? {} : { [ROOT_LOG_FIELD]: value };
      expect(refusal(() => parseRootLogFields(fields)), (JSON.stringify(value) as string | undefined)?.slice(0, 60)).toMatchObject({ code, field });
    }
  });

  it('never reads a value inherited from a prototype', () => {
    const inherited = Object.create({ origin: INFO.origin }) as Record<string, unknown>;
    inherited['key'] = INFO.key;
    expect(refusal(() => parseRootLogFields({ [ROOT_LOG_FIELD]: inherited }))).toMatchObject({ code: 'MISSING_FIELD', field: 'x-vigil-log.origin' });
    expect(refusal(() => parseRootLogFields(JSON.parse(`{"${ROOT_LOG_FIELD}":{"__proto__":{"origin":"x"},"key":"k"}}`) as Record<string, unknown>))).toMatchObject({ field: 'x-vigil-log.origin' });
  });
});
