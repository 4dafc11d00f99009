// The leaves of the update log: written by the cloud as canonical JSON, looked for by the update
// client, read one by one by the auditor. Anything but the exact canonical form is refused.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, formatLogEntry, LOG_ENTRY_MAX_BYTES, parseLogEntry, type UpdateLogEntry } from '../../src/protocol/index.js';
import { refusal } from './wire-check.js';

const SHA = 'ab'.repeat(32);
const RELEASE: UpdateLogEntry = { kind: 'release', release: 7, image: { sha256: SHA, length: 1234 }, targets_version: 9 };
const ROOT: UpdateLogEntry = { kind: 'root', version: 2, sha256: SHA, length: 800 };
const bytes = (text: string) => new Uint8Array(Buffer.from(text, 'utf8'));

describe('update log entries', () => {
  it('writes the documented canonical JSON, member names sorted', () => {
    expect(formatLogEntry(RELEASE)).toBe(`{"image":{"length":1234,"sha256":"${SHA}"},"kind":"release","release":7,"targets_version":9}`);
    expect(formatLogEntry(ROOT)).toBe(`{"kind":"root","length":800,"sha256":"${SHA}","version":2}`);
    // Only the format's members are written, whatever the caller's object carries.
    expect(formatLogEntry({ ...RELEASE, note: 'x' } as never)).toBe(formatLogEntry(RELEASE));
  });

  it('reads back what it writes (property)', () => {
    const hex = fc.stringMatching(/^[0-9a-f]{64}$/);
    const count = (min: number) => fc.integer({ min, max: Number.MAX_SAFE_INTEGER });
    const entry: fc.Arbitrary<UpdateLogEntry> = fc.oneof(
      fc.record({ kind: fc.constant('release' as const), release: count(1), image: fc.record({ sha256: hex, length: count(0) }), targets_version: count(1) }),
      fc.record({ kind: fc.constant('root' as const), version: count(1), sha256: hex, length: count(1) }),
    );
    fc.assert(
      fc.property(entry, (e) => {
        expect(parseLogEntry(bytes(formatLogEntry(e)))).toEqual(e);
      }),
    );
  });

  it('refuses bytes that are not canonical UTF-8 JSON of an object', () => {
    const text = formatLogEntry(RELEASE);
    const cases: [Uint8Array, RegExp][] = [
      [new Uint8Array([0xff, 0xfe]), /not UTF-8 JSON/],
      [bytes(text.slice(0, -1)), /not UTF-8 JSON/], // truncated
      [bytes(''), /not UTF-8 JSON/],
      [bytes('[1,2]'), /not a JSON object/],
      [bytes('null'), /not a JSON object/],
      [bytes(text.replace('{"image"', '{ "image"')), /not canonical/],
      [bytes(`{"kind":"release","image":{"length":1234,"sha256":"${SHA}"},"release":7,"targets_version":9}`), /not canonical/],
      [bytes(text.replace('"release":7', '"release":7.0')), /not canonical/],
      [new Uint8Array(LOG_ENTRY_MAX_BYTES + 1), /more than/],
    ];
    for (const [input, reason] of cases) {
      const r = refusal(() => parseLogEntry(input));
      expect(r.field).toBe('entry');
      expect(r.reason).toMatch(reason);
    }
  });

  it('refuses a missing, extra or out-of-range member, naming it', () => {
    const release = (patch: Record<string, unknown>) => bytes(canonicalJson({ ...RELEASE, ...patch }));
    const cases: [Uint8Array, string, string][] = [
      [bytes(`{"image":{"length":1234,"sha256":"${SHA}"},"kind":"release","release":7}`), 'MISSING_FIELD', 'targets_version'],
      [bytes(`{"image":{"length":1234,"sha256":"${SHA}"},"kind":"release","path":"/etc","release":7,"targets_version":9}`), 'UNKNOWN_FIELD', 'path'],
      [bytes(`{"image":{"length":1234},"kind":"release","release":7,"targets_version":9}`), 'MISSING_FIELD', 'image.sha256'],
      [bytes(`{"image":{"length":1234,"md5":"x","sha256":"${SHA}"},"kind":"release","release":7,"targets_version":9}`), 'UNKNOWN_FIELD', 'image.md5'],
      [bytes(`{"image":null,"kind":"release","release":7,"targets_version":9}`), 'MALFORMED', 'image'],
      [release({ release: 0 }), 'BAD_VALUE', 'release'],
      [release({ release: '7' }), 'BAD_VALUE', 'release'],
      [release({ release: 2 ** 53 }), 'BAD_VALUE', 'release'],
      [release({ targets_version: -1 }), 'BAD_VALUE', 'targets_version'],
      [release({ image: { length: 1.5, sha256: SHA } }), 'BAD_VALUE', 'image.length'],
      [release({ image: { length: 1, sha256: SHA.toUpperCase() } }), 'BAD_VALUE', 'image.sha256'],
      [release({ image: { length: 1, sha256: SHA.slice(2) } }), 'BAD_VALUE', 'image.sha256'],
      [bytes(`{"kind":"root","length":0,"sha256":"${SHA}","version":2}`), 'BAD_VALUE', 'length'],
      [bytes(`{"kind":"root","sha256":"${SHA}","version":2}`), 'MISSING_FIELD', 'length'],
      [bytes(`{"kind":"delta","length":1}`), 'BAD_VALUE', 'kind'],
      [bytes(`{"length":1}`), 'BAD_VALUE', 'kind'],
    ];
    for (const [input, code, field] of cases) expect(refusal(() => parseLogEntry(input)), Buffer.from(input).toString()).toMatchObject({ code, field });
  });

  it('quotes an unknown kind short and as JSON (hostile text stays inert)', () => {
    const r = refusal(() => parseLogEntry(bytes(JSON.stringify({ kind: `x\u001b[2J${'y'.repeat(500)}` }))));
    expect(r.reason.length).toBeLessThan(80);
    expect(r.reason).not.toContain('\u001b');
  });
});
