import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatKeyRange, GeoError, ipToKey, keyToIp, parseCidr } from '../../../src/cloud/geo/index.js';

const MAPPED = '00000000000000000000ffff';

function v4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** Full uncompressed IPv6 text of a 128-bit number. */
function v6Full(n: bigint): string {
  const hex = n.toString(16).padStart(32, '0');
  return hex.match(/.{4}/g)!.join(':');
}

function expectGeoError(fn: () => unknown, code: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(GeoError);
  expect((caught as GeoError).code).toBe(code);
}

describe('ipToKey: IPv4', () => {
  it('maps a dotted quad to its IPv4-mapped IPv6 key', () => {
    expect(ipToKey('1.2.3.4')).toBe(`${MAPPED}01020304`);
    expect(ipToKey('0.0.0.0')).toBe(`${MAPPED}00000000`);
    expect(ipToKey('255.255.255.255')).toBe(`${MAPPED}ffffffff`);
    expect(ipToKey('192.168.0.10')).toBe(`${MAPPED}c0a8000a`);
  });

  it.each(['01.2.3.4', '1.2.3.004', '00.0.0.0', '256.0.0.0', '1.2.3', '1.2.3.4.5', '1..2.3', '1.2.3.', '.1.2.3', ' 1.2.3.4', '1.2.3.4 ', '1.2.3.-4', '0x1.2.3.4', '1.2.3.4%eth0', '', '1e2.0.0.0', '１.2.3.4'])(
    'rejects %j',
    (text) => expectGeoError(() => ipToKey(text), 'INVALID_ADDRESS'),
  );

  it('names the input and the reason in the message', () => {
    expect(() => ipToKey('1.2.3.256')).toThrow('invalid IP address "1.2.3.256": IPv4 part is greater than 255');
    expect(() => ipToKey('010.0.0.1')).toThrow(/leading zero/);
  });
});

describe('ipToKey: IPv6', () => {
  const ONE = '0'.repeat(31) + '1';
  it.each([
    ['::', '0'.repeat(32)],
    ['::1', ONE],
    ['0:0:0:0:0:0:0:1', ONE],
    ['0000:0000:0000:0000:0000:0000:0000:0001', ONE],
    ['2001:db8::', '20010db8' + '0'.repeat(24)],
    ['2001:DB8::FF00:42:8329', '20010db8000000000000ff0000428329'],
    ['2001:0db8:0000:0000:0000:ff00:0042:8329', '20010db8000000000000ff0000428329'],
    ['1::', '0001' + '0'.repeat(28)],
    ['1:2:3:4:5:6:7::', '0001000200030004000500060007' + '0000'],
    ['::2:3:4:5:6:7:8', '0000000200030004000500060007' + '0008'],
    ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'f'.repeat(32)],
    ['64:ff9b::192.0.2.33', '0064ff9b0000000000000000c0000221'],
    ['1:2:3:4:5:6:1.2.3.4', '00010002000300040005000601020304'],
    ['::1.2.3.4', '0'.repeat(24) + '01020304'],
    ['fe80::1%eth0', 'fe80' + '0'.repeat(27) + '1'],
    ['fe80::1%12', 'fe80' + '0'.repeat(27) + '1'],
  ])('%s', (text, key) => expect(ipToKey(text)).toBe(key));

  it('gives IPv4-mapped IPv6 addresses the same key as the IPv4 address', () => {
    expect(ipToKey('::ffff:1.2.3.4')).toBe(ipToKey('1.2.3.4'));
    expect(ipToKey('::FFFF:0102:0304')).toBe(ipToKey('1.2.3.4'));
    expect(ipToKey('0:0:0:0:0:ffff:102:304')).toBe(ipToKey('1.2.3.4'));
    expect(ipToKey('::ffff:1.2.3.4%eth0')).toBe(ipToKey('1.2.3.4'));
  });

  it('keeps the deprecated IPv4-compatible form distinct from IPv4', () => {
    expect(ipToKey('::1.2.3.4')).not.toBe(ipToKey('1.2.3.4'));
  });

  it.each([
    ':', ':::', '1:::2', '1::2::3', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8::', '::1:2:3:4:5:6:7:8',
    '12345::', 'g::', ':1::', '1::2:', '1.2.3.4::', '::1.2.3.4:1', '1:2:3:4:5:6:7:1.2.3.4', '::ffff:1.2.3', '::ffff:01.2.3.4',
    'fe80::1%', 'fe80::1%eth 0', 'fe80::1%a%b', '[::1]', '::1/128', '::-1', 'x'.repeat(200) + ':',
  ])('rejects %j', (text) => expectGeoError(() => ipToKey(text), 'INVALID_ADDRESS'));
});

describe('key order and round trips', () => {
  const u128 = fc.bigInt({ min: 0n, max: (1n << 128n) - 1n });

  it('orders IPv4 keys like the numbers', () => {
    fc.assert(
      fc.property(fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }), (a, b) => {
        const [ka, kb] = [ipToKey(v4(a)), ipToKey(v4(b))];
        expect(Math.sign(ka < kb ? -1 : ka > kb ? 1 : 0)).toBe(Math.sign(a - b));
      }),
    );
  });

  it('orders IPv6 keys like the 128-bit numbers, IPv4 included', () => {
    fc.assert(
      fc.property(u128, u128, (a, b) => {
        const [ka, kb] = [ipToKey(v6Full(a)), ipToKey(v6Full(b))];
        expect(ka < kb).toBe(a < b);
        expect(ka === kb).toBe(a === b);
        expect(BigInt(`0x${ka}`)).toBe(a);
      }),
    );
  });

  it('round-trips IPv4 text', () => {
    fc.assert(fc.property(fc.nat({ max: 0xffffffff }), (n) => {
        expect(keyToIp(ipToKey(v4(n)))).toBe(v4(n));
      }),
    );
  });

  it('round-trips keys through RFC 5952 text, and every spelling gives the same key', () => {
    fc.assert(
      fc.property(fc.oneof(u128, fc.bigInt({ min: 0n, max: 0xffffn }), fc.constantFrom(0n, 1n << 112n, (1n << 64n) + 1n)), (n) => {
        const key = ipToKey(v6Full(n));
        const text = keyToIp(key);
        expect(ipToKey(text)).toBe(key);
        expect(ipToKey(text.toUpperCase())).toBe(key);
      }),
    );
  });

  it('prints RFC 5952 canonical text', () => {
    expect(keyToIp(ipToKey('2001:0db8:0000:0000:0000:ff00:0042:8329'))).toBe('2001:db8::ff00:42:8329');
    expect(keyToIp(ipToKey('2001:db8:0:1:1:1:1:1'))).toBe('2001:db8:0:1:1:1:1:1'); // 4.2.2: no "::" for one group
    expect(keyToIp(ipToKey('2001:0:0:1:0:0:0:1'))).toBe('2001:0:0:1::1'); // 4.2.3: the longest run
    expect(keyToIp(ipToKey('2001:db8:0:0:1:0:0:1'))).toBe('2001:db8::1:0:0:1'); // 4.2.3: the first on a tie
    expect(keyToIp(ipToKey('::'))).toBe('::');
    expect(keyToIp(ipToKey('::ffff:10.0.0.1'))).toBe('10.0.0.1');
  });

  it('rejects malformed keys', () => {
    expectGeoError(() => keyToIp('F'.repeat(32)), 'INVALID_ADDRESS');
    expectGeoError(() => keyToIp('0'.repeat(31)), 'INVALID_ADDRESS');
  });
});

describe('parseCidr', () => {
  it('gives the first and last key of an IPv4 block', () => {
    expect(parseCidr('10.0.0.0/8')).toEqual({ start: `${MAPPED}0a000000`, end: `${MAPPED}0affffff` });
    expect(parseCidr('1.2.3.4/32')).toEqual({ start: `${MAPPED}01020304`, end: `${MAPPED}01020304` });
    expect(parseCidr('0.0.0.0/0')).toEqual({ start: `${MAPPED}00000000`, end: `${MAPPED}ffffffff` });
    expect(parseCidr('192.168.4.0/22')).toEqual({ start: `${MAPPED}c0a80400`, end: `${MAPPED}c0a807ff` });
    expect(parseCidr('128.0.0.0/1')).toEqual({ start: `${MAPPED}80000000`, end: `${MAPPED}ffffffff` });
  });

  it('gives the first and last key of an IPv6 block', () => {
    expect(parseCidr('::/0')).toEqual({ start: '0'.repeat(32), end: 'f'.repeat(32) });
    expect(parseCidr('2001:db8::/32')).toEqual({ start: '20010db8' + '0'.repeat(24), end: '20010db8' + 'f'.repeat(24) });
    expect(parseCidr('2001:db8::1/128')).toEqual({ start: ipToKey('2001:db8::1'), end: ipToKey('2001:db8::1') });
    expect(parseCidr('2001:db8::/33')).toEqual({ start: '20010db8' + '0'.repeat(24), end: '20010db87' + 'f'.repeat(23) });
    expect(parseCidr('::ffff:10.0.0.0/104')).toEqual(parseCidr('10.0.0.0/8'));
  });

  it('masks host bits instead of rejecting them', () => {
    expect(parseCidr('10.1.2.3/8')).toEqual(parseCidr('10.0.0.0/8'));
    expect(parseCidr('192.168.7.255/22')).toEqual(parseCidr('192.168.4.0/22'));
    expect(parseCidr('2001:db8:ffff::1/33')).toEqual(parseCidr('2001:db8:8000::/33'));
    expect(parseCidr('ffff::/0')).toEqual(parseCidr('::/0'));
  });

  it('agrees with a BigInt model for every prefix length', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), fc.integer({ min: 0, max: 128 }), (n, bits) => {
        const size = 1n << BigInt(128 - bits);
        const first = n - (n % size);
        const { start, end } = parseCidr(`${v6Full(n)}/${bits}`);
        expect(BigInt(`0x${start}`)).toBe(first);
        expect(BigInt(`0x${end}`)).toBe(first + size - 1n);
        expect(formatKeyRange(start, end)).toBe(`${keyToIp(start)}/${start.startsWith(MAPPED) && bits >= 96 ? bits - 96 : bits}`);
      }),
    );
  });

  it.each(['10.0.0.0', '10.0.0.0/33', '::/129', '10.0.0.0/08', '10.0.0.0/', '10.0.0.0/-1', '10.0.0.0/8/8', '10.0.0/8', '/8', 'fe80::%eth0/64', '10.0.0.0/ 8', '10.0.0.0/1000'])(
    'rejects %j',
    (text) => expectGeoError(() => parseCidr(text), 'INVALID_CIDR'),
  );

  it('formats ranges as CIDR when aligned, else first-last', () => {
    expect(formatKeyRange(...(Object.values(parseCidr('10.0.0.0/8')) as [string, string]))).toBe('10.0.0.0/8');
    expect(formatKeyRange(ipToKey('10.0.0.1'), ipToKey('10.0.0.2'))).toBe('10.0.0.1-10.0.0.2');
    expect(formatKeyRange('0'.repeat(32), 'f'.repeat(32))).toBe('::/0');
  });
});
