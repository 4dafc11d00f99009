import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  LICENSE_FILE_MAX_BYTES,
  LicenseFileError,
  canonicalJson,
  exportPublicKeyPem,
  formatLicenseFile,
  importPublicKeyPem,
  isMachineFingerprint,
  parseLicenseFileText,
  publicKeyId,
  signLicenseFile,
  verifyLicenseFile,
  type LicenseCheck,
  type LicenseFile,
  type LicenseInvalid,
  type LicensePayload,
} from '../../src/protocol/index.js';

// RFC 8032 7.1 TEST 1: a fixed key, so the signature below is a fixed vector.
const RFC8032_SECRET = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';
const RFC8032_PUBLIC = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';
const vendor = createPrivateKey({ key: Buffer.from(`302e020100300506032b657004220420${RFC8032_SECRET}`, 'hex'), format: 'der', type: 'pkcs8' });
const vendorPublic = createPublicKey(vendor);
const other = generateKeyPairSync('ed25519');

const MACHINE = createHash('sha256').update('machine a').digest('hex');
const OTHER_MACHINE = createHash('sha256').update('machine b').digest('hex');

const payload = (change: Partial<LicensePayload> = {}): LicensePayload => ({
  license_id: 'lic_01',
  key_hint: '5GCPF',
  holder_tenant: 'ten_acme',
  holder_name: 'Acme GmbH — Zürich',
  product: 'Vigil Endpoint',
  plan: 'business-1y',
  entitlements: ['daemon', 'updates'],
  seats: 5,
  activation_id: 'act_07',
  machine: MACHINE,
  license_expires_at: '2026-01-01T00:00:00.000Z',
  grace_until: '2026-01-15T00:00:00.000Z',
  valid_from: '2025-06-01T00:00:00.000Z',
  valid_until: '2025-07-01T00:00:00.000Z',
  issued_at: '2025-06-01T00:00:00.000Z',
  status: 'active',
  ...change,
});

const NOW = new Date('2025-06-10T00:00:00.000Z');
const options = (change: Partial<Parameters<typeof verifyLicenseFile>[1]> = {}) => ({ publicKeys: [vendorPublic], machine: MACHINE, now: NOW, ...change });
const failure = (r: LicenseCheck) => {
  expect(r.ok).toBe(false);
  return r as LicenseInvalid;
};
const codeOf = (file: unknown, opts = options()) => {
  const r = verifyLicenseFile(file, opts);
  return r.ok ? `ok:${r.state}` : r.code;
};
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** The same 64 bytes with one of the 4 unused bits of the last character set: decoders ignore it. */
const nonCanonical = (sig: string) => `${sig.slice(0, 85)}${B64[B64.indexOf(sig[85]!) ^ 1]!}==`;
const clone = (file: LicenseFile) => JSON.parse(JSON.stringify(file)) as Record<string, unknown> & { payload: Record<string, unknown> };

describe('signLicenseFile', () => {
  it('signs the prefix and the canonical JSON of the payload with Ed25519 (a fixed vector)', () => {
    const file = signLicenseFile(payload(), vendor);
    expect(file.format).toBe('vigil-license-v1');
    expect(file.key_id).toBe(createHash('sha256').update(Buffer.from(RFC8032_PUBLIC, 'hex')).digest('hex'));
    const message =
      'vigil-license-file-v1\n{"activation_id":"act_07","entitlements":["daemon","updates"],"grace_until":"2026-01-15T00:00:00.000Z",' +
      '"holder_name":"Acme GmbH — Zürich","holder_tenant":"ten_acme","issued_at":"2025-06-01T00:00:00.000Z","key_hint":"5GCPF",' +
      '"license_expires_at":"2026-01-01T00:00:00.000Z","license_id":"lic_01",' +
      `"machine":"${MACHINE}","plan":"business-1y","product":"Vigil Endpoint","seats":5,"status":"active",` +
      '"valid_from":"2025-06-01T00:00:00.000Z","valid_until":"2025-07-01T00:00:00.000Z"}';
    expect(`vigil-license-file-v1\n${canonicalJson(file.payload)}`).toBe(message);
    expect(verify(null, Buffer.from(message, 'utf8'), vendorPublic, Buffer.from(file.signature, 'base64'))).toBe(true);
    expect(file.signature).toBe(sign(null, Buffer.from(message, 'utf8'), vendor).toString('base64')); // Ed25519 is deterministic
  });

  it('copies the payload: changing the input afterwards changes nothing', () => {
    const p = payload();
    const file = signLicenseFile(p, vendor);
    p.entitlements.push('network');
    p.seats = 99;
    expect(file.payload).toEqual(payload());
    expect(codeOf(file)).toBe('ok:valid');
  });

  it('refuses a payload that would not verify, naming the field', () => {
    const cases: [Partial<LicensePayload> | Record<string, unknown>, string][] = [
      [{ seats: 0 }, 'payload.seats'],
      [{ machine: MACHINE.toUpperCase() }, 'payload.machine'],
      [{ entitlements: ['updates', 'updates'] }, 'payload.entitlements[1]'],
      [{ holder_name: 'evil\u001b[2J' }, 'payload.holder_name'],
      [{ valid_until: 'tomorrow' }, 'payload.valid_until'],
      [{ extra: 1 }, 'payload.extra'],
    ];
    for (const [change, field] of cases) {
      let err: unknown;
      try {
        signLicenseFile({ ...payload(), ...change }, vendor);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(LicenseFileError);
      expect(err).toMatchObject({ code: 'MALFORMED', field });
    }
  });

  it('refuses a key that is not an Ed25519 private key', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(() => signLicenseFile(payload(), ec.privateKey)).toThrow(expect.objectContaining({ code: 'BAD_KEY' }));
    expect(() => signLicenseFile(payload(), vendorPublic)).toThrow(expect.objectContaining({ code: 'BAD_KEY' }));
  });
});

describe('verifyLicenseFile', () => {
  const file = signLicenseFile(payload(), vendor);

  it('accepts the file on its machine, as an object, as text and as bytes', () => {
    expect(verifyLicenseFile(file, options())).toEqual({ ok: true, payload: payload(), state: 'valid' });
    expect(codeOf(formatLicenseFile(file))).toBe('ok:valid');
    expect(codeOf(Buffer.from(formatLicenseFile(file)))).toBe('ok:valid');
    expect(codeOf(`\ufeff${JSON.stringify(file)}`)).toBe('ok:valid');
    expect(codeOf(file, options({ machine: MACHINE.toUpperCase() }))).toBe('ok:valid');
  });

  it('finds the signing key among several trusted keys (a rotation)', () => {
    expect(codeOf(file, options({ publicKeys: [other.publicKey, vendorPublic] }))).toBe('ok:valid');
    expect(codeOf(signLicenseFile(payload(), other.privateKey), options({ publicKeys: [other.publicKey, vendorPublic] }))).toBe('ok:valid');
  });

  it('refuses a file whose payload was changed: BAD_SIGNATURE', () => {
    const changes: Partial<LicensePayload> = {
      license_id: 'lic_02', key_hint: '5GCPG', holder_tenant: 'ten_other', holder_name: 'Acme', product: 'Vigil Server', plan: 'business-3y',
      entitlements: ['daemon', 'network', 'updates'], seats: 500, activation_id: 'act_08', machine: OTHER_MACHINE,
      license_expires_at: '2099-01-01T00:00:00.000Z', grace_until: '2099-01-15T00:00:00.000Z', valid_from: '2025-06-01T00:00:00.001Z',
      valid_until: '2099-01-01T00:00:00.000Z', issued_at: '2025-06-02T00:00:00.000Z', status: 'suspended',
    };
    for (const [field, value] of Object.entries(changes)) {
      const forged = clone(file);
      forged.payload[field] = value;
      const r = failure(verifyLicenseFile(forged, options({ machine: field === 'machine' ? OTHER_MACHINE : MACHINE })));
      expect(r.code, field).toBe('BAD_SIGNATURE');
      expect(r.reason).toBe('this license file was altered or damaged: its signature does not match its content');
      expect(r.payload).toBeUndefined();
    }
  });

  it('refuses a file signed by a key it does not trust: UNKNOWN_KEY', () => {
    const r = failure(verifyLicenseFile(signLicenseFile(payload(), other.privateKey), options()));
    expect(r.code).toBe('UNKNOWN_KEY');
    expect(r.reason).toMatch(/^this license file was signed with a key this copy of Vigil does not trust \(key id [0-9a-f]{16}\.\.\.\)/);
  });

  it('refuses a signature by another key under the trusted key id: BAD_SIGNATURE', () => {
    const forged = { ...signLicenseFile(payload({ seats: 1000 }), other.privateKey), key_id: publicKeyId(vendorPublic) };
    expect(codeOf(forged)).toBe('BAD_SIGNATURE');
  });

  it('refuses the file on another machine: WRONG_MACHINE, with the payload', () => {
    const r = failure(verifyLicenseFile(file, options({ machine: OTHER_MACHINE })));
    expect(r).toMatchObject({ code: 'WRONG_MACHINE', payload: payload() });
    expect(r.reason).toMatch(/^this license file belongs to another machine/);
  });

  it('holds to the file window: valid_from included, valid_until excluded', () => {
    expect(codeOf(file, options({ now: new Date('2025-05-31T23:59:59.999Z') }))).toBe('NOT_YET_VALID');
    expect(codeOf(file, options({ now: new Date('2025-06-01T00:00:00.000Z') }))).toBe('ok:valid');
    expect(codeOf(file, options({ now: new Date('2025-06-30T23:59:59.999Z') }))).toBe('ok:valid');
    const r = failure(verifyLicenseFile(file, options({ now: new Date('2025-07-01T00:00:00.000Z') })));
    expect(r).toMatchObject({ code: 'EXPIRED', payload: payload() });
    expect(r.reason).toMatch(/^this license file expired on 2025-07-01T00:00:00.000Z; .*refresh/);
  });

  it('is in grace from license_expires_at until grace_until, then expired', () => {
    const late = signLicenseFile(payload({ valid_from: '2025-12-20T00:00:00.000Z', valid_until: '2026-01-15T00:00:00.000Z' }), vendor);
    expect(codeOf(late, options({ now: new Date('2025-12-31T23:59:59.999Z') }))).toBe('ok:valid');
    expect(codeOf(late, options({ now: new Date('2026-01-01T00:00:00.000Z') }))).toBe('ok:grace');
    expect(codeOf(late, options({ now: new Date('2026-01-14T23:59:59.999Z') }))).toBe('ok:grace');
    const r = failure(verifyLicenseFile(late, options({ now: new Date('2026-01-15T00:00:00.000Z') })));
    expect(r.code).toBe('EXPIRED');
    expect(r.reason).toBe('this license expired on 2026-01-01T00:00:00.000Z and its grace period ended on 2026-01-15T00:00:00.000Z; renew the license');
  });

  it('says that the license ended, not the file, when both did', () => {
    const stale = signLicenseFile(payload({ valid_until: '2026-02-01T00:00:00.000Z' }), vendor);
    expect(failure(verifyLicenseFile(stale, options({ now: new Date('2026-01-20T00:00:00.000Z') }))).reason).toMatch(/renew the license$/);
  });

  it('refuses a suspended license: SUSPENDED, after machine and time', () => {
    const suspended = signLicenseFile(payload({ status: 'suspended' }), vendor);
    expect(codeOf(suspended)).toBe('SUSPENDED');
    expect(codeOf(suspended, options({ machine: OTHER_MACHINE }))).toBe('WRONG_MACHINE');
    expect(codeOf(suspended, options({ now: new Date('2025-08-01T00:00:00.000Z') }))).toBe('EXPIRED');
  });

  it('checks an entitlement when asked: NO_ENTITLEMENT', () => {
    expect(codeOf(file, options({ entitlement: 'updates' }))).toBe('ok:valid');
    const r = failure(verifyLicenseFile(file, options({ entitlement: 'network' })));
    expect(r).toMatchObject({ code: 'NO_ENTITLEMENT', reason: 'this license does not include "network" (it includes daemon, updates)', payload: payload() });
    expect(codeOf(signLicenseFile(payload({ entitlements: [] }), vendor), options({ entitlement: 'updates' }))).toBe('NO_ENTITLEMENT');
  });

  it('throws on wrong options, which are the caller\'s bug rather than hostile input', () => {
    expect(() => verifyLicenseFile(file, options({ publicKeys: [] }))).toThrow(TypeError);
    expect(() => verifyLicenseFile(file, options({ machine: 'abc' }))).toThrow(TypeError);
    expect(() => verifyLicenseFile(file, options({ now: new Date('nope') }))).toThrow(TypeError);
    expect(() => verifyLicenseFile(file, options({ publicKeys: [generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey] }))).toThrow(LicenseFileError);
  });
});

describe('malformed and hostile files', () => {
  const file = signLicenseFile(payload(), vendor);
  const text = formatLicenseFile(file);
  const malformed = (input: unknown, field?: string) => {
    const r = failure(verifyLicenseFile(input, options()));
    expect(r.code).toBe('MALFORMED');
    expect(r.reason).toMatch(/^this is not a valid Vigil license file: /);
    expect(r.payload).toBeUndefined();
    if (field !== undefined) expect(r.field).toBe(field);
    return r;
  };
  const edit = (change: (f: ReturnType<typeof clone>) => void) => {
    const f = clone(file);
    change(f);
    return f;
  };

  it('refuses what is not a license file object', () => {
    for (const v of [null, undefined, 42, true, [], [file], new Date(), '', 'null', '[]', '{', 'x'.repeat(100)]) malformed(v);
  });

  it('refuses missing and unknown fields, at the top and in the payload', () => {
    malformed(edit((f) => delete f.signature), 'signature');
    malformed(edit((f) => delete f.payload.machine), 'payload.machine');
    malformed(edit((f) => (f.extra = 1)), 'extra');
    malformed(edit((f) => (f.payload.admin = true)), 'payload.admin');
    malformed(edit((f) => (f.payload.machine = undefined)), 'payload.machine');
  });

  it('refuses prototype-polluting names without polluting anything', () => {
    const polluted = text.replace('"payload": {', '"payload": {"__proto__": {"isAdmin": true}, "constructor": {"prototype": {"isAdmin": true}},');
    malformed(polluted, 'payload.__proto__');
    malformed(text.replace('{', '{"__proto__": {"status": "active"},'), '__proto__');
    malformed(edit((f) => Object.defineProperty(f.payload, 'constructor', { value: 'x', enumerable: true })), 'payload.constructor');
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    // Inherited fields are not fields: an object whose prototype holds the payload is missing it.
    malformed(Object.assign(Object.create({ payload: file.payload }) as object, { format: file.format, key_id: file.key_id, signature: file.signature }), 'payload');
  });

  it('refuses every field of the wrong type or form', () => {
    expect(Buffer.from(nonCanonical(file.signature), 'base64')).toEqual(Buffer.from(file.signature, 'base64'));
    const cases: [(f: ReturnType<typeof clone>) => void, string][] = [
      [(f) => (f.format = 'vigil-license-v2'), 'format'],
      [(f) => (f.key_id = file.key_id.toUpperCase()), 'key_id'],
      [(f) => (f.signature = file.signature.slice(0, -2)), 'signature'],
      [(f) => (f.signature = nonCanonical(file.signature)), 'signature'],
      [(f) => (f.payload = [] as unknown as Record<string, unknown>), 'payload'],
      [(f) => (f.payload.seats = '5'), 'payload.seats'],
      [(f) => (f.payload.seats = 1.5), 'payload.seats'],
      [(f) => (f.payload.seats = 2 ** 53), 'payload.seats'],
      [(f) => (f.payload.seats = -1), 'payload.seats'],
      [(f) => (f.payload.entitlements = 'updates'), 'payload.entitlements'],
      [(f) => (f.payload.entitlements = [1]), 'payload.entitlements[0]'],
      [(f) => (f.payload.entitlements = ['Updates']), 'payload.entitlements[0]'],
      [(f) => (f.payload.entitlements = Array.from({ length: 65 }, (_, i) => `e${i}`)), 'payload.entitlements'],
      [(f) => (f.payload.status = 'revoked'), 'payload.status'],
      [(f) => (f.payload.key_hint = '5GCPU'), 'payload.key_hint'],
      [(f) => (f.payload.license_id = ''), 'payload.license_id'],
      [(f) => (f.payload.license_id = 7), 'payload.license_id'],
      [(f) => (f.payload.holder_name = null), 'payload.holder_name'],
      [(f) => (f.payload.holder_name = 'a\u0085b'), 'payload.holder_name'],
      [(f) => (f.payload.holder_name = 'x'.repeat(257)), 'payload.holder_name'],
      [(f) => (f.payload.valid_until = '2025-02-29T00:00:00.000Z'), 'payload.valid_until'],
      [(f) => (f.payload.valid_until = '2025-07-01T00:00:00.000+02:00'), 'payload.valid_until'],
      [(f) => (f.payload.issued_at = 1748736000000), 'payload.issued_at'],
    ];
    for (const [change, field] of cases) malformed(edit(change), field);
  });

  it('refuses huge input quickly', () => {
    const started = Date.now();
    malformed(edit((f) => (f.payload.holder_name = 'x'.repeat(20_000_000))), 'payload.holder_name');
    malformed(`${text}${' '.repeat(LICENSE_FILE_MAX_BYTES)}`);
    malformed('é'.repeat(LICENSE_FILE_MAX_BYTES / 2 + 1));
    malformed(edit((f) => (f.payload.entitlements = new Array(2 ** 31))), 'payload.entitlements');
    malformed('['.repeat(60_000) + ']'.repeat(60_000).slice(0, 4000));
    malformed(`${'['.repeat(30_000)}${']'.repeat(30_000)}`);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('refuses a member name written twice (JSON.parse would keep only the last)', () => {
    malformed(text.replace('"seats": 5', `"seats": 5000, "seats": 5`));
    malformed(text.replace('"format": "vigil-license-v1"', '"format": "x", "format": "vigil-license-v1"'));
    expect(codeOf(text.replace('"product": "Vigil Endpoint"', '"product": "Vigil Endpoint"'))).toBe('ok:valid');
  });

  it('refuses bytes that are not UTF-8', () => {
    const bytes = Buffer.from(text);
    bytes[bytes.indexOf('Acme')] = 0xff;
    expect(failure(verifyLicenseFile(bytes, options())).reason).toBe('this is not a valid Vigil license file: not UTF-8 text');
  });

  it('never throws on objects that fight back (getters, proxies)', () => {
    const throwing = Object.defineProperty({ ...clone(file) }, 'payload', { enumerable: true, get: () => { throw new Error('boom'); } });
    malformed(throwing);
    const proxy = new Proxy(clone(file), { ownKeys: () => { throw new Error('boom'); } });
    malformed(proxy);
    // A getter that answers differently each time: what is verified is what is returned.
    let reads = 0;
    const p = { ...file.payload };
    const shifty = { ...file, payload: Object.defineProperty(p, 'seats', { enumerable: true, get: () => (reads++ === 0 ? 5 : 5000) }) };
    const r = verifyLicenseFile(shifty, options());
    expect(r.ok && r.payload.seats).toBe(5);
  });

  it('parseLicenseFileText checks the shape only, and never throws', () => {
    expect(parseLicenseFileText(text)).toEqual({ ok: true, file });
    expect(parseLicenseFileText(formatLicenseFile(signLicenseFile(payload(), other.privateKey))).ok).toBe(true);
    expect(parseLicenseFileText('{"format":1}')).toMatchObject({ ok: false, code: 'MALFORMED', field: 'payload' });
    expect(parseLicenseFileText('\u0000\u001b[31m')).toMatchObject({ ok: false, code: 'MALFORMED' });
    expect((parseLicenseFileText('\u001b[31m') as LicenseInvalid).reason).not.toMatch(/\u001b/);
  });

  it('any single-byte change of the text fails, or leaves the payload the same (fuzz)', () => {
    const bytes = Buffer.from(text);
    fc.assert(
      fc.property(fc.nat(bytes.length - 1), fc.integer({ min: 0, max: 255 }), (at, value) => {
        const changed = Buffer.from(bytes);
        changed[at] = value;
        const r = verifyLicenseFile(changed, options());
        if (r.ok) expect(r.payload).toEqual(file.payload);
        const asText = verifyLicenseFile(changed.toString('utf8'), options());
        if (asText.ok) expect(asText.payload).toEqual(file.payload);
      }),
      { numRuns: 5000 },
    );
  });

  it('never throws on any value, and accepts a changed payload only when it is the same (fuzz)', () => {
    const fields = Object.keys(file.payload);
    fc.assert(
      fc.property(fc.anything(), fc.constantFrom(...fields, 'format', 'key_id', 'signature'), fc.anything(), (junk, field, value) => {
        expect(failure(verifyLicenseFile(junk, options())).code).toBe('MALFORMED');
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- JSON.stringify(undefined) is undefined
        expect(parseLicenseFileText(typeof junk === 'string' ? junk : JSON.stringify(junk) ?? '').ok).toBe(false);
        const f = clone(file);
        if (field in f.payload) f.payload[field] = value;
        else f[field] = value;
        const r = verifyLicenseFile(f, options());
        if (r.ok) expect(r.payload).toEqual(file.payload);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('keys', () => {
  it('names a key by the SHA-256 of its raw 32 bytes, from either half', () => {
    const expected = createHash('sha256').update(Buffer.from(RFC8032_PUBLIC, 'hex')).digest('hex');
    expect(publicKeyId(vendorPublic)).toBe(expected);
    expect(publicKeyId(vendor)).toBe(expected);
  });

  it('exports and imports public keys as PEM', () => {
    const pem = exportPublicKeyPem(vendor);
    expect(pem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    expect(pem).not.toMatch(/PRIVATE/);
    const key: KeyObject = importPublicKeyPem(pem);
    expect(publicKeyId(key)).toBe(publicKeyId(vendorPublic));
    expect(codeOf(signLicenseFile(payload(), vendor), options({ publicKeys: [key] }))).toBe('ok:valid');
    expect(() => importPublicKeyPem('not a key')).toThrow(expect.objectContaining({ code: 'BAD_KEY' }));
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(() => importPublicKeyPem(rsa)).toThrow(expect.objectContaining({ code: 'BAD_KEY' }));
  });

  it('knows a machine fingerprint when it sees one', () => {
    expect(isMachineFingerprint(MACHINE)).toBe(true);
    expect(isMachineFingerprint(MACHINE.toUpperCase())).toBe(false);
    expect(isMachineFingerprint(MACHINE.slice(1))).toBe(false);
    expect(isMachineFingerprint(42)).toBe(false);
  });
});
