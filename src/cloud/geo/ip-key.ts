/**
 * IP addresses as fixed-width text keys, so a database comparing keys as TEXT orders them like the
 * addresses themselves.
 *
 * One 128-bit keyspace holds both families: an IPv4 address a.b.c.d is stored as its IPv4-mapped
 * IPv6 address ::ffff:a.b.c.d (RFC 4291 2.5.5.2), and a key is the address as 32 lowercase hex
 * digits. Equal-width lowercase hex sorts lexicographically exactly as the numbers sort, so
 * `start_key <= $key ORDER BY start_key DESC LIMIT 1` finds the candidate range.
 *
 * Decisions:
 * - IPv4 dotted quads are strict: exactly four decimal parts 0-255, no leading zeros ("010" could
 *   mean octal to inet_aton), no whitespace, no shorthand forms like "10.1".
 * - IPv6 accepts every RFC 4291 2.2 text form (RFC 5952 output is a subset): 1-4 hex digits per
 *   group in either case, one "::" standing for one or more zero groups, and a dotted-quad tail in
 *   the last 32 bits. "::ffff:1.2.3.4" and "::ffff:102:304" give the same key as "1.2.3.4". The
 *   deprecated IPv4-compatible form "::1.2.3.4" is simply the IPv6 address ::102:304 (a different key).
 * - Zone ids (RFC 4007 11): `ipToKey` strips one from an IPv6 address ("fe80::1%eth0"), because
 *   Node reports link-local peers that way; a zone has no meaning for geography. `parseCidr` rejects
 *   zones: a range file names no interfaces. IPv4 never takes a zone.
 * - CIDR with host bits set ("10.1.2.3/8") is accepted and masked to the network (10.0.0.0/8).
 *   GeoLite2 never sets host bits; hand-written files sometimes do, and the meaning is unambiguous.
 * - Keys are built with 32-bit arithmetic and a hex table, not BigInt, to keep importing 500k
 *   rows fast; BigInt only formats ranges for messages.
 */
import { VigilError } from '../../protocol/index.js';
import { GeoError, quoteInput } from './geo-error.js';

/** Hex digits of a key: 128 bits. */
export const KEY_HEX_DIGITS = 32;
/** RFC 4291 2.5.5.2: the first 96 bits of an IPv4-mapped IPv6 address, as key hex. */
export const IPV4_MAPPED_PREFIX = '00000000000000000000ffff';
/** Longest text accepted as an address: "ffff:...:ffff" with an IPv4 tail is 45; zones need room. */
export const MAX_ADDRESS_TEXT = 100;

const HEX = '0123456789abcdef';
const HEX2 = Array.from({ length: 256 }, (_, i) => HEX[i >>> 4]! + HEX[i & 15]!);
const ZEROS = '0'.repeat(KEY_HEX_DIGITS);
const ONES = 'f'.repeat(KEY_HEX_DIGITS);
const KEY_SHAPE = /^[0-9a-f]{32}$/;
// RFC 6874 2: a zone id is made of unreserved characters.
const ZONE_SHAPE = /^[0-9A-Za-z._~-]+$/;

/** A reason an address does not parse; callers wrap it into a GeoError naming the whole input. */
class Invalid extends VigilError {
  readonly code = 'INVALID_ADDRESS';
}

/** Maps an IPv4 or IPv6 address to its 32-hex-digit key; throws GeoError('INVALID_ADDRESS'). */
export function ipToKey(text: string): string {
  try {
    return addressToKey(text, true);
  } catch (e) {
    if (e instanceof Invalid) throw new GeoError('INVALID_ADDRESS', `invalid IP address ${quoteInput(text)}: ${e.message}`);
    throw e;
  }
}

/**
 * Parses `a.b.c.d/n` (n 0-32) or `ipv6/n` (n 0-128) into the first and last key of the block.
 * Host bits are masked away. Throws GeoError('INVALID_CIDR').
 */
export function parseCidr(text: string): { start: string; end: string } {
  try {
    const slash = text.indexOf('/');
    if (slash === -1) throw new Invalid('missing "/prefix"');
    const address = text.slice(0, slash);
    const isV6 = address.includes(':');
    const prefix = parsePrefix(text.slice(slash + 1), isV6 ? 128 : 32);
    if (isV6) return maskKey(addressToKey(address, false), prefix);
    // IPv4 fast path (most rows of an import): mask the 32-bit number directly.
    if (address.length > MAX_ADDRESS_TEXT) throw new Invalid(`longer than ${MAX_ADDRESS_TEXT} characters`);
    const size = 2 ** (32 - prefix);
    const first = parseIpv4(address);
    const start = first - (first % size);
    return { start: mappedKey(start), end: mappedKey(start + size - 1) };
  } catch (e) {
    if (e instanceof Invalid) throw new GeoError('INVALID_CIDR', `invalid CIDR ${quoteInput(text)}: ${e.message}`);
    throw e;
  }
}

/**
 * The address a key stands for: dotted quad for IPv4-mapped keys, RFC 5952 canonical text
 * otherwise. `keyToIp(ipToKey(x))` is the canonical spelling of x. Throws GeoError on a malformed key.
 */
export function keyToIp(key: string): string {
  if (!KEY_SHAPE.test(key)) throw new GeoError('INVALID_ADDRESS', `invalid key ${quoteInput(key)}: expected 32 lowercase hex digits`);
  if (key.startsWith(IPV4_MAPPED_PREFIX)) {
    const n = parseInt(key.slice(24), 16);
    return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
  }
  const groups: number[] = [];
  for (let i = 0; i < KEY_HEX_DIGITS; i += 4) groups.push(parseInt(key.slice(i, i + 4), 16));
  // RFC 5952 4.2: "::" replaces the longest run (the first on a tie) of two or more zero groups.
  let bestAt = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestAt, bestLength] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16)); // RFC 5952 4.1, 4.3: no leading zeros, lowercase
  if (bestAt === -1) return hex.join(':');
  return `${hex.slice(0, bestAt).join(':')}::${hex.slice(bestAt + bestLength).join(':')}`;
}

/** A range for messages: `1.2.3.0/24` when it is exactly a CIDR block, else `first-last`. */
export function formatKeyRange(start: string, end: string): string {
  if (!KEY_SHAPE.test(start) || !KEY_SHAPE.test(end)) return `${start}-${end}`;
  const first = BigInt(`0x${start}`);
  const size = BigInt(`0x${end}`) - first + 1n;
  if (size > 0n && (size & (size - 1n)) === 0n && first % size === 0n) {
    const prefix = 128 - (size.toString(2).length - 1);
    const mapped = start.startsWith(IPV4_MAPPED_PREFIX) && prefix >= 96;
    return `${keyToIp(start)}/${mapped ? prefix - 96 : prefix}`;
  }
  return `${keyToIp(start)}-${keyToIp(end)}`;
}

function addressToKey(text: string, allowZone: boolean): string {
  if (text.length > MAX_ADDRESS_TEXT) throw new Invalid(`longer than ${MAX_ADDRESS_TEXT} characters`);
  if (!text.includes(':')) return mappedKey(parseIpv4(text));
  let address = text;
  const percent = text.indexOf('%');
  if (percent !== -1) {
    if (!allowZone) throw new Invalid('zone id not allowed');
    if (!ZONE_SHAPE.test(text.slice(percent + 1))) throw new Invalid('malformed zone id');
    address = text.slice(0, percent);
  }
  return parseIpv6(address)
    .map((group) => HEX2[group >>> 8]! + HEX2[group & 255]!)
    .join('');
}

/** Strict dotted quad to a 32-bit unsigned number. */
function parseIpv4(text: string): number {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let parts = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 0x2e; // a final '.' closes the last part
    if (c === 0x2e) {
      if (digits === 0) throw new Invalid('empty IPv4 part');
      if (++parts > 4) throw new Invalid('IPv4 address has more than 4 parts');
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      if (digits > 0 && octet === 0) throw new Invalid('IPv4 part has a leading zero');
      octet = octet * 10 + (c - 0x30);
      digits++;
      if (octet > 255) throw new Invalid('IPv4 part is greater than 255');
    } else {
      throw new Invalid(`unexpected character ${quoteInput(text[i]!)}`);
    }
  }
  if (parts !== 4) throw new Invalid(`IPv4 address has ${parts} parts, needs 4`);
  return value;
}

/** RFC 4291 2.2 text to eight 16-bit groups. */
function parseIpv6(text: string): number[] {
  const gap = text.indexOf('::');
  if (gap !== -1 && text.includes('::', gap + 1)) throw new Invalid('"::" may appear only once');
  const head = parseGroups(gap === -1 ? text : text.slice(0, gap), gap === -1);
  const tail = gap === -1 ? [] : parseGroups(text.slice(gap + 2), true);
  if (gap === -1) {
    if (head.length !== 8) throw new Invalid(`IPv6 address has ${head.length} groups, needs 8`);
    return head;
  }
  // RFC 4291 2.2 (2): "::" stands for one or more groups of zeros.
  if (head.length + tail.length > 7) throw new Invalid('"::" must stand for at least one group');
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

/** Colon-separated hex groups; when `last`, the final group may be a dotted quad (two groups). */
function parseGroups(text: string, last: boolean): number[] {
  if (text === '') return [];
  const parts = text.split(':');
  const groups: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (last && i === parts.length - 1 && part.includes('.')) {
      const v4 = parseIpv4(part);
      groups.push(v4 >>> 16, v4 & 0xffff);
    } else {
      if (part.length === 0 || part.length > 4) throw new Invalid(part.length === 0 ? 'empty IPv6 group' : 'IPv6 group has more than 4 hex digits');
      let value = 0;
      for (let k = 0; k < part.length; k++) {
        const d = hexDigit(part.charCodeAt(k));
        if (d < 0) throw new Invalid(`unexpected character ${quoteInput(part[k]!)}`);
        value = value * 16 + d;
      }
      groups.push(value);
    }
    if (groups.length > 8) throw new Invalid('IPv6 address has more than 8 groups');
  }
  return groups;
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/** Decimal prefix length without leading zeros, 0..max. */
function parsePrefix(text: string, max: number): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const d = text.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9 || (i > 0 && n === 0) || i > 2) throw new Invalid('prefix length must be a decimal number without leading zeros');
    n = n * 10 + d;
  }
  if (text.length === 0) throw new Invalid('empty prefix length');
  if (n > max) throw new Invalid(`prefix length ${n} is greater than ${max}`);
  return n;
}

/**
 * The key of an IPv4 address. `join` builds a flat string; `+` would build a rope that each later
 * comparison flattens again, which shows when a table of 500k ranges is sorted.
 */
function mappedKey(ipv4: number): string {
  return [IPV4_MAPPED_PREFIX, hex8(ipv4)].join('');
}

/** 8 hex digits of a 32-bit unsigned number (a table: Number#toString(16) is slow past 2^31). */
function hex8(n: number): string {
  return HEX2[n >>> 24]! + HEX2[(n >>> 16) & 255]! + (HEX2[(n >>> 8) & 255]! + HEX2[n & 255]!);
}

/** First and last key of the block of `bits` prefix bits around `key`. */
function maskKey(key: string, bits: number): { start: string; end: string } {
  const whole = bits >>> 2;
  if (whole === KEY_HEX_DIGITS) return { start: key, end: key };
  const keep = key.slice(0, whole);
  const mask = (0xf << (4 - (bits & 3))) & 0xf;
  const low = parseInt(key[whole]!, 16) & mask;
  const rest = KEY_HEX_DIGITS - whole - 1;
  return {
    start: [keep, HEX[low], ZEROS.slice(0, rest)].join(''),
    end: [keep, HEX[low | (~mask & 0xf)], ONES.slice(0, rest)].join(''),
  };
}
