// The license file's format and its strict reader (license-payload.ts), apart from signing and
// verification (license-file.test.ts): every refusal names the field.
import { describe, expect, it } from 'vitest';
import { LICENSE_FIELD_MAX_CHARS, LICENSE_FILE_FORMAT, LICENSE_MAX_ENTITLEMENTS } from '../../src/protocol/index.js';
import { MalformedLicenseField, parseStrictJson, readLicenseFileValue, readLicensePayload } from '../../src/protocol/license-payload.js';

const PAYLOAD = {
  license_id: 'lic_01',
  key_hint: '5GCPF',
  holder_tenant: 'ten_acme',
  holder_name: '',
  product: 'Vigil Endpoint',
  plan: 'business-1y',
  entitlements: ['daemon', 'updates'],
  seats: 5,
  activation_id: 'act_01',
  machine: 'ab'.repeat(32),
  license_expires_at: '2027-01-01T00:00:00.000Z',
  grace_until: '2027-01-15T00:00:00.000Z',
  valid_from: '2026-01-01T00:00:00.000Z',
  valid_until: '2026-02-01T00:00:00.000Z',
  issued_at: '2026-01-01T00:00:00.000Z',
  status: 'active',
};
const FILE = { format: LICENSE_FILE_FORMAT, payload: PAYLOAD, key_id: 'cd'.repeat(32), signature: `${'A'.repeat(86)}==` };

function fieldOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(MalformedLicenseField);
    expect((e as Error).message).toMatch(/^field "/);
    return (e as MalformedLicenseField).field;
  }
  throw new Error('nothing was thrown');
}

describe('license payload format', () => {
  it('reads a well-formed file into a fresh copy', () => {
    const read = readLicenseFileValue(FILE);
    expect(read).toEqual(FILE);
    expect(read.payload).not.toBe(PAYLOAD);
    expect(read.payload.entitlements).not.toBe(PAYLOAD.entitlements);
  });

  it('names the field of each refusal', () => {
    const cases: [unknown, string][] = [
      [null, ''],
      [{ ...FILE, extra: 1 }, 'extra'],
      [{ ...FILE, format: 'vigil-license-v2' }, 'format'],
      [{ ...FILE, key_id: 'CD'.repeat(32) }, 'key_id'],
      [{ ...FILE, signature: `${'A'.repeat(85)}B==` }, 'signature'],
      [{ ...FILE, payload: { ...PAYLOAD, seats: 0 } }, 'payload.seats'],
      [{ ...FILE, payload: { ...PAYLOAD, status: 'revoked' } }, 'payload.status'],
      [{ ...FILE, payload: { ...PAYLOAD, machine: 'x' } }, 'payload.machine'],
      [{ ...FILE, payload: { ...PAYLOAD, product: 'x'.repeat(LICENSE_FIELD_MAX_CHARS + 1) } }, 'payload.product'],
      [{ ...FILE, payload: { ...PAYLOAD, holder_name: 'a\u001bb' } }, 'payload.holder_name'],
      [{ ...FILE, payload: { ...PAYLOAD, valid_until: '2026-02-30T00:00:00Z' } }, 'payload.valid_until'],
      [{ ...FILE, payload: { ...PAYLOAD, entitlements: ['a', 'a'] } }, 'payload.entitlements[1]'],
      [{ ...FILE, payload: { ...PAYLOAD, entitlements: Array.from({ length: LICENSE_MAX_ENTITLEMENTS + 1 }, (_, i) => `e${i}`) } }, 'payload.entitlements'],
      [{ ...FILE, payload: { ...PAYLOAD, path: '/etc' } }, 'payload.path'],
    ];
    for (const [value, field] of cases) expect(fieldOf(() => readLicenseFileValue(value)), field).toBe(field);
    const { seats: _seats, ...noSeats } = PAYLOAD;
    expect(fieldOf(() => readLicensePayload(noSeats))).toBe('payload.seats');
  });

  it('refuses a member name written twice, which JSON.parse would hide', () => {
    expect(parseStrictJson('{"a":1,"a":2}')).toEqual({ ok: false, reason: 'a member name appears twice in one object' });
    expect(parseStrictJson('{"a":')).toMatchObject({ ok: false });
    expect(parseStrictJson('{"a":{"b":1},"c":"a:b"}')).toEqual({ ok: true, value: { a: { b: 1 }, c: 'a:b' } });
  });
});
