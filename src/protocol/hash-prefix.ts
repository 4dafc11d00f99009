/**
 * Reputation look-ups with k-anonymity (docs/network.md, `POST /v1/network/lookups`): the endpoint
 * sends only a prefix of each SHA-256 it asks about, and gets back every listed hash under that
 * prefix. A prefix is 2 to 8 bytes in lowercase hex; endpoints send 4 bytes (8 digits).
 */
import { WireFormatError } from './wire-format-error.js';

/** The hex digits of the prefix endpoints send. */
export const PREFIX_HEX_CHARS = 8;
/** Prefixes one look-up request may carry. */
export const MAX_PREFIXES_PER_LOOKUP = 1000;
/** A prefix: 2 to 8 bytes of a SHA-256, in lowercase hex. */
export const HASH_PREFIX_RE = /^(?:[0-9a-f]{2}){2,8}$/;

/** The prefix of `sha256` that an endpoint sends. */
export function prefixOf(sha256: string): string {
  return sha256.slice(0, PREFIX_HEX_CHARS);
}

/** `v` checked as a hash prefix; throws WireFormatError naming `at`. */
export function parseHashPrefix(v: unknown, at = 'prefix'): string {
  if (typeof v !== 'string' || !HASH_PREFIX_RE.test(v)) throw new WireFormatError('BAD_VALUE', at, 'not a hash prefix: 4 to 16 lowercase hex digits, an even number');
  return v;
}
