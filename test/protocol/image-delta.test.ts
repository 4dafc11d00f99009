import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createImageDelta } from '../../src/cloud/updates/delta-writer.js';
import { applyImageDelta, IMAGE_DELTA_HEADER_BYTES, ImageDeltaError, readImageDeltaHeader } from '../../src/protocol/image-delta.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const hex = (text: string) => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));

/** A delta written by hand, byte by byte, from the layout in image-delta.ts: the format is pinned here. */
function handDelta(base: Uint8Array, target: Uint8Array, ops: string): Uint8Array {
  const header = Buffer.alloc(IMAGE_DELTA_HEADER_BYTES);
  header.write('VGDELTA1', 0, 'latin1');
  header.writeUInt32BE(base.length, 8);
  Buffer.from(sha(base), 'hex').copy(header, 12);
  header.writeUInt32BE(target.length, 44);
  Buffer.from(sha(target), 'hex').copy(header, 48);
  return new Uint8Array(Buffer.concat([header, hex(ops)]));
}

function expectCode(f: () => unknown, code: string): void {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ImageDeltaError);
    expect((e as ImageDeltaError).code).toBe(code);
    return;
  }
  throw new Error(`expected ${code}`);
}

const base = new TextEncoder().encode('hello, world');
const target = new TextEncoder().encode('hello, brave world');

describe('image deltas', () => {
  it('applies a delta written by hand (COPY 0..7, INSERT "brave ", COPY 7..12, END)', () => {
    const delta = handDelta(base, target, '01 00000000 00000007  02 00000006 627261766520  01 00000007 00000005  00');
    expect(new TextDecoder().decode(applyImageDelta(base, delta))).toBe('hello, brave world');
    expect(readImageDeltaHeader(delta)).toEqual({ baseLength: 12, baseSha256: sha(base), targetLength: 18, targetSha256: sha(target) });
  });

  it('writes the same layout: a delta from the writer starts with the header and ends with END', () => {
    const delta = createImageDelta(base, target, 4);
    expect(Buffer.from(delta.subarray(0, 8)).toString('latin1')).toBe('VGDELTA1');
    expect(delta[delta.length - 1]).toBe(0);
    expect(Buffer.from(applyImageDelta(base, delta))).toEqual(Buffer.from(target));
  });

  it('round-trips any base and target, and stays small when the target is the base with a few edits', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.array(fc.tuple(fc.nat(), fc.uint8Array({ maxLength: 40 }), fc.nat(50))), fc.integer({ min: 4, max: 80 }), (b, edits, block) => {
        let t = Buffer.from(b);
        for (const [at, insert, cut] of edits) {
          const pos = t.length === 0 ? 0 : at % t.length;
          t = Buffer.concat([t.subarray(0, pos), insert, t.subarray(Math.min(t.length, pos + cut))]);
        }
        const delta = createImageDelta(b, t, block);
        expect(Buffer.from(applyImageDelta(b, delta))).toEqual(t);
      }),
      { numRuns: 200 },
    );
    const big = Uint8Array.from({ length: 200_000 }, (_, i) => (i * 7919) % 251);
    const edited = Buffer.concat([big.subarray(0, 1000), Buffer.from('inserted'), big.subarray(1000, 150_000), big.subarray(150_100)]);
    expect(createImageDelta(big, edited).length).toBeLessThan(200);
  });

  it('refuses a delta for another base', () => {
    const delta = createImageDelta(base, target);
    expectCode(() => applyImageDelta(new TextEncoder().encode('hello, World'), delta), 'WRONG_BASE');
    expectCode(() => applyImageDelta(new TextEncoder().encode('hello'), delta), 'WRONG_BASE');
  });

  it('refuses malformed deltas with MALFORMED_DELTA', () => {
    const cases = [
      '01 00000000 0000000d 00', // COPY past the base
      '01 00000000 00000000 00', // COPY of length 0
      '02 00000013', // INSERT past the target length
      '02 00000012 00', // INSERT longer than the delta
      '01 00000000 0000000c', // no END
      '01 00000000 0000000c 00 00', // bytes after END
      '07', // unknown operation
      '01 00000000 00000005 00', // writes less than the target
    ];
    for (const ops of cases) expectCode(() => applyImageDelta(base, handDelta(base, target, ops)), 'MALFORMED_DELTA');
    expectCode(() => applyImageDelta(base, new TextEncoder().encode('VGDELTA2'.padEnd(100, '\0'))), 'MALFORMED_DELTA');
    expectCode(() => applyImageDelta(base, new Uint8Array(10)), 'MALFORMED_DELTA');
  });

  it('refuses a target larger than allowed before allocating it, and one that hashes otherwise', () => {
    expectCode(() => applyImageDelta(base, createImageDelta(base, target), { maxTargetBytes: 10 }), 'TOO_LARGE');
    const forged = handDelta(base, target, '01 00000000 0000000c 02 00000006 627261766520 00');
    expectCode(() => applyImageDelta(base, forged), 'TARGET_MISMATCH');
  });

  it('fails only with ImageDeltaError on arbitrary bytes after a valid header', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (tail) => {
        try {
          applyImageDelta(base, new Uint8Array([...handDelta(base, target, ''), ...tail]));
        } catch (e) {
          expect(e).toBeInstanceOf(ImageDeltaError);
        }
      }),
      { numRuns: 500 },
    );
  });
});
