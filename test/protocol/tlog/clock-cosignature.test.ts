// The clock cosignature (C2SP tlog-cosignature, type 0x04) that puts a time on checkpoints: signed
// by the cloud, read by the update client (the time is required) and by the auditor (it may be
// absent). The message and key ID are recomputed here from the spec, not from the code under test.
import { createHash, createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addClockCosignature,
  checkpointTime,
  clockKeyName,
  COSIGNATURE_ED25519,
  createNoteSigner,
  findClockTime,
  formatClockVerifierKey,
  parseClockVerifierKey,
  signCheckpoint,
  TlogError,
  type TlogErrorCode,
} from '../../../src/protocol/index.js';

const ORIGIN = 'example.com/vigil-log';
const logKey = generateKeyPairSync('ed25519').privateKey;
const clockKey = generateKeyPairSync('ed25519').privateKey;
const CLOCK = clockKeyName(ORIGIN);
const VKEY = formatClockVerifierKey(CLOCK, clockKey);
const AT = new Date('2026-03-01T12:34:56Z');

function checkpoint(size = 3): string {
  return signCheckpoint({ origin: ORIGIN, size, rootHash: new Uint8Array(32).fill(size) }, [createNoteSigner(ORIGIN, logKey)]);
}

function codeOf(f: () => unknown): TlogErrorCode | undefined {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TlogError);
    return (e as TlogError).code;
  }
  return undefined;
}

describe('clock cosignature', () => {
  it('names the clock <origin>/clock and writes its vkey with key ID SHA-256(name \\n 0x04 key)[:4]', () => {
    expect(CLOCK).toBe(`${ORIGIN}/clock`);
    const raw = createPublicKey(clockKey).export({ format: 'jwk' }).x!;
    const publicKey = Buffer.from(raw, 'base64url');
    const id = createHash('sha256').update(Buffer.concat([Buffer.from(`${CLOCK}\n`), Buffer.from([0x04]), publicKey])).digest().subarray(0, 4).toString('hex');
    expect(VKEY).toBe(`${CLOCK}+${id}+${Buffer.concat([Buffer.from([COSIGNATURE_ED25519]), publicKey]).toString('base64')}`);
    expect(formatClockVerifierKey(CLOCK, new Uint8Array(publicKey))).toBe(VKEY);
  });

  it('signs "cosignature/v1\\ntime T\\n" and the checkpoint text, as the spec says', () => {
    const note = checkpoint();
    const signed = addClockCosignature(note, CLOCK, clockKey, AT);
    expect(signed.startsWith(note)).toBe(true);
    const line = signed.slice(note.length);
    expect(line.startsWith(`\u2014 ${CLOCK} `)).toBe(true);
    const sig = Buffer.from(line.slice(`\u2014 ${CLOCK} `.length).trimEnd(), 'base64');
    expect(sig.length).toBe(4 + 8 + 64);
    const seconds = sig.readBigUInt64BE(4);
    expect(seconds).toBe(BigInt(AT.getTime() / 1000));
    const text = note.slice(0, note.indexOf('\n\n') + 1);
    expect(verify(null, Buffer.from(`cosignature/v1\ntime ${seconds}\n${text}`), createPublicKey(clockKey), sig.subarray(12))).toBe(true);
  });

  it('reads back the time it signed, to the second (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: 1, max: 1000 }), (seconds, size) => {
        const signed = addClockCosignature(checkpoint(size), CLOCK, clockKey, new Date(seconds * 1000 + 999));
        expect(checkpointTime(signed, VKEY).getTime()).toBe(seconds * 1000);
        expect(findClockTime(signed, VKEY)!.getTime()).toBe(seconds * 1000);
      }),
      { numRuns: 25 },
    );
  });

  it('finds no time on a checkpoint without the clock line, and checkpointTime refuses it', () => {
    const note = checkpoint();
    expect(findClockTime(note, VKEY)).toBeUndefined();
    expect(codeOf(() => checkpointTime(note, VKEY))).toBe('UNKNOWN_KEY');
  });

  it('refuses a line by the clock that does not verify: another time, another text, another key', () => {
    const signed = addClockCosignature(checkpoint(), CLOCK, clockKey, AT);
    const cut = signed.lastIndexOf(`\u2014 ${CLOCK} `);
    const sig = Buffer.from(signed.slice(cut + `\u2014 ${CLOCK} `.length).trimEnd(), 'base64');
    const later = Buffer.from(sig);
    later.writeBigUInt64BE(sig.readBigUInt64BE(4) + 1n, 4);
    const retimed = `${signed.slice(0, cut)}\u2014 ${CLOCK} ${later.toString('base64')}\n`;
    expect(codeOf(() => findClockTime(retimed, VKEY))).toBe('BAD_SIGNATURE');
    expect(codeOf(() => checkpointTime(retimed, VKEY))).toBe('BAD_SIGNATURE');
    // The clock line of one checkpoint pasted under another.
    const other = checkpoint(4);
    const moved = `${other}${signed.slice(cut)}`;
    expect(codeOf(() => findClockTime(moved, VKEY))).toBe('BAD_SIGNATURE');
    // Signed by another key under the clock's name and key ID.
    const forged = addClockCosignature(checkpoint(), CLOCK, generateKeyPairSync('ed25519').privateKey, AT);
    expect(findClockTime(forged, VKEY)).toBeUndefined(); // another key ID: not the clock's line
  });

  it('refuses a clock line of the wrong length (a truncated cosignature)', () => {
    const signed = addClockCosignature(checkpoint(), CLOCK, clockKey, AT);
    const cut = signed.lastIndexOf(`\u2014 ${CLOCK} `);
    const sig = Buffer.from(signed.slice(cut + `\u2014 ${CLOCK} `.length).trimEnd(), 'base64');
    for (const bytes of [sig.subarray(0, 4 + 64), sig.subarray(0, 4 + 8 + 63), Buffer.concat([sig, Buffer.from([0])])]) {
      const bad = `${signed.slice(0, cut)}\u2014 ${CLOCK} ${bytes.toString('base64')}\n`;
      expect(codeOf(() => findClockTime(bad, VKEY))).toBe('BAD_SIGNATURE');
      expect(codeOf(() => checkpointTime(bad, VKEY))).toBe('BAD_SIGNATURE');
    }
  });

  it('refuses malformed and hostile clock keys with MALFORMED_KEY, saying what is wrong', () => {
    const [name, id, key] = [VKEY.slice(0, VKEY.indexOf('+')), VKEY.split('+')[1]!, VKEY.slice(VKEY.indexOf('+', VKEY.indexOf('+') + 1) + 1)];
    const raw = Buffer.from(key, 'base64');
    const noteKey = Buffer.concat([Buffer.from([0x01]), raw.subarray(1)]).toString('base64'); // a signed-note key, not a cosignature key
    const cases: [string, RegExp][] = [
      ['', /not <name>\+<key id>\+<base64 key>/],
      [name, /not <name>\+<key id>\+<base64 key>/],
      [`+${id}+${key}`, /not <name>\+<key id>\+<base64 key>/],
      [`${name}+${id.toUpperCase()}+${key}`, /8 lowercase hex/],
      [`${name}+${id}+not base64!`, /not base64/],
      [`${name}+${id}+${raw.subarray(0, 20).toString('base64')}`, /type 0x04, 32 bytes/],
      [`${name}+${id}+${noteKey}`, /type 0x04/],
      [`${name}+00000000+${key}`, /does not match its key/],
      [`other/clock+${id}+${key}`, /does not match its key/],
      [`${name}+${id}+${key}${'A'.repeat(10_000)}`, /base64|type 0x04/],
    ];
    for (const [vkey, message] of cases) {
      let error: unknown;
      try {
        parseClockVerifierKey(vkey);
      } catch (e) {
        error = e;
      }
      expect(error, vkey.slice(0, 60)).toBeInstanceOf(TlogError);
      expect((error as TlogError).code).toBe('MALFORMED_KEY');
      expect((error as TlogError).message).toMatch(message);
    }
    expect(codeOf(() => parseClockVerifierKey(42 as never))).toBe('MALFORMED_KEY');
    expect(codeOf(() => findClockTime(checkpoint(), `${name}+00000000+${key}`))).toBe('MALFORMED_KEY');
  });

  it('refuses a malformed note before looking for the clock', () => {
    expect(codeOf(() => findClockTime('not a note', VKEY))).toBe('MALFORMED_NOTE');
    const signed = addClockCosignature(checkpoint(), CLOCK, clockKey, AT);
    expect(codeOf(() => findClockTime(signed.slice(0, signed.length - 10), VKEY))).toBe('MALFORMED_NOTE');
  });
});
