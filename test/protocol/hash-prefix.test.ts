// Hash prefixes of reputation look-ups (k-anonymity): what the agent sends and the cloud accepts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HASH_PREFIX_RE, MAX_PREFIXES_PER_LOOKUP, parseHashPrefix, PREFIX_HEX_CHARS, prefixOf } from '../../src/protocol/index.js';
import { refusal } from './wire-check.js';

describe('hash prefix', () => {
  it('sends 4 bytes of each SHA-256, up to 1000 a request', () => {
    expect(PREFIX_HEX_CHARS).toBe(8);
    expect(MAX_PREFIXES_PER_LOOKUP).toBe(1000);
    expect(prefixOf('0123456789abcdef'.repeat(4))).toBe('01234567');
  });

  it('accepts what the agent sends, for any SHA-256 (property)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9a-f]{64}$/), (sha) => {
        expect(parseHashPrefix(prefixOf(sha))).toBe(sha.slice(0, 8));
      }),
    );
  });

  it('accepts 2 to 8 bytes in lowercase hex and nothing else', () => {
    for (const ok of ['abcd', '0123456789abcdef', 'ab'.repeat(3)]) expect(HASH_PREFIX_RE.test(ok), ok).toBe(true);
    for (const bad of ['ab', 'abc', 'ABCD', 'ab'.repeat(9), 'abcdefgh', ' abcd', 'abcd\n', '']) {
      expect(refusal(() => parseHashPrefix(bad, 'prefixes.0'))).toMatchObject({ code: 'BAD_VALUE', field: 'prefixes.0' });
    }
    expect(refusal(() => parseHashPrefix(12345678)).field).toBe('prefix');
  });
});
