import { createHash } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createImageDelta, DatabaseBuilder, Database } from '../../src/engine/index.js';
import { ImageWriter } from '../../src/engine/compile/image-file.js';
import { hashSection, SECTION } from '../../src/engine/image-layout.js';
import { buildNameTable } from '../../src/engine/compile/name-table.js';
import { loadSourceBuffer } from '../../src/engine/signatures/load-sources.js';
import type { DatabaseProblem } from '../../src/engine/index.js';
import { applyImageDelta, IMAGE_DELTA_HEADER_BYTES, ImageDeltaError, readImageDeltaHeader, writeImageDeltaHeader } from '../../src/protocol/image-delta/index.js';
import * as imageDeltaDoor from '../../src/protocol/image-delta/index.js';
import * as protocolDoor from '../../src/protocol/index.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const text = (s: string) => new TextEncoder().encode(s);
const cat = (...parts: (Uint8Array | number[])[]) => new Uint8Array(Buffer.concat(parts.map((p) => Buffer.from(p))));

/** LEB128 varints, as the body spells its integers. */
function v(...values: number[]): number[] {
  const out: number[] = [];
  for (let x of values) {
    while (x >= 0x80) {
      out.push((x & 0x7f) | 0x80);
      x = Math.floor(x / 128);
    }
    out.push(x);
  }
  return out;
}
const u32le = (...words: number[]) => {
  const b = Buffer.alloc(words.length * 4);
  words.forEach((w, k) => b.writeUInt32LE(w >>> 0, k * 4));
  return new Uint8Array(b);
};

/** A delta framed by hand from the layout in protocol/image-delta/delta-format.ts: the format is pinned here. */
function frame(base: Uint8Array, target: Uint8Array, body: Uint8Array, o: { deflate?: boolean; bodyLength?: number; targetLength?: number; targetSha?: string; encoding?: number } = {}): Uint8Array {
  const header = Buffer.alloc(IMAGE_DELTA_HEADER_BYTES);
  header.write('VGDELTA2', 0, 'latin1');
  header.writeUInt32BE(base.length, 8);
  Buffer.from(sha(base), 'hex').copy(header, 12);
  header.writeUInt32BE(o.targetLength ?? target.length, 44);
  Buffer.from(o.targetSha ?? sha(target), 'hex').copy(header, 48);
  header[80] = o.encoding ?? (o.deflate ? 1 : 0);
  header.writeUInt32BE(o.bodyLength ?? body.length, 81);
  return new Uint8Array(Buffer.concat([header, o.deflate ? deflateRawSync(body) : body]));
}

/** The body of a delta (stored or deflated). */
function bodyOf(delta: Uint8Array): Uint8Array {
  const h = readImageDeltaHeader(delta);
  const stored = delta.subarray(IMAGE_DELTA_HEADER_BYTES);
  return h.bodyEncoding === 0 ? stored : new Uint8Array(inflateRawSync(stored));
}

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (!(e instanceof ImageDeltaError)) throw e;
    return e.code;
  }
  return 'OK';
}

function expectCode(f: () => unknown, code: string): void {
  expect(codeOf(f)).toBe(code);
}

/** Byte equality without a deep comparison of every element (slow on images). */
function expectSame(got: Uint8Array, want: Uint8Array): void {
  expect(Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(want)).toBe(true);
}

function roundTrip(base: Uint8Array, target: Uint8Array, options?: Parameters<typeof createImageDelta>[3]): Uint8Array {
  const delta = createImageDelta(base, target, 64, options);
  expectSame(applyImageDelta(base, delta), target);
  return delta;
}

// ---------------------------------------------------------------------------------------------
// Compiled databases: a small seeded family of sources, and releases that differ by a few changes.

class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 1;
  }
  next(): number {
    this.s ^= this.s << 13;
    this.s >>>= 0;
    this.s ^= this.s >>> 17;
    this.s ^= this.s << 5;
    return (this.s >>>= 0);
  }
  int(n: number): number {
    return this.next() % n;
  }
  hex(bytes: number): string {
    let s = '';
    for (let i = 0; i < bytes; i++) s += this.int(256).toString(16).padStart(2, '0');
    return s;
  }
}

interface Sources {
  hdb: string[];
  hsb: string[];
  ndb: string[];
  ldb: string[];
}

function sources(count: number, seed = 7): Sources {
  const r = new Rng(seed);
  const families = ['Win.Trojan.Agent', 'Win.Worm.Mydoom', 'Doc.Dropper.Emotet', 'Unix.Malware.Mirai', 'Html.Phishing.Bank'];
  const name = (i: number) => `${families[i % families.length]!}-${1000 + i * 7}-0`;
  const s: Sources = { hdb: [], hsb: [], ndb: [], ldb: [] };
  for (let i = 0; i < count; i++) s.hdb.push(`${r.hex(16)}:${100 + r.int(100000)}:${name(i)}`);
  for (let i = 0; i < count; i++) s.hsb.push(`${r.hex(32)}:${100 + r.int(100000)}:${name(count + i)}`);
  for (let i = 0; i < count / 10; i++) s.ndb.push(`Body.Test.Pattern-${i}:${r.int(2)}:*:${r.hex(16 + r.int(16))}`);
  for (let i = 0; i < count / 20; i++) s.ldb.push(`Logical.Test.Sig-${i};Engine:51-255,Target:1;0&1;${r.hex(8 + r.int(8))};${r.hex(8 + r.int(8))}`);
  return s;
}

/** A release changed as the bench changes one: some lines removed, some modified (new hash, same name), some added. */
function nextRelease(s: Sources, seed: number, changes: number): Sources {
  const r = new Rng(seed);
  const out: Sources = { hdb: [...s.hdb], hsb: [...s.hsb], ndb: [...s.ndb], ldb: [...s.ldb] };
  for (let k = 0; k < changes; k++) {
    const kind = (['hdb', 'hsb', 'ndb', 'ldb'] as const)[k % 4]!;
    const lines = out[kind];
    const at = r.int(lines.length);
    if (k % 3 === 0) lines.splice(at, 1);
    else if (k % 3 === 1) {
      const parts = lines[at]!.split(kind === 'ldb' ? ';' : ':');
      if (kind === 'hdb' || kind === 'hsb') parts[0] = r.hex(kind === 'hdb' ? 16 : 32);
      else parts[parts.length - 1] = r.hex(12);
      lines[at] = parts.join(kind === 'ldb' ? ';' : ':');
    } else if (kind === 'hdb') lines.push(`${r.hex(16)}:${100 + r.int(1000)}:Aaa.New.Early-${seed}-${k}`);
    else if (kind === 'hsb') lines.push(`${r.hex(32)}:${100 + r.int(1000)}:Win.Trojan.Agent-${seed}-${k}`);
    else if (kind === 'ndb') lines.push(`Body.New.Pattern-${seed}-${k}:0:*:${r.hex(20)}`);
    else lines.push(`Logical.New.Sig-${seed}-${k};Engine:51-255,Target:1;0&1;${r.hex(10)};${r.hex(10)}`);
  }
  return out;
}

function compile(s: Sources, buildTime = 1_700_000_000): Uint8Array {
  const builder = new DatabaseBuilder();
  const problems: DatabaseProblem[] = [];
  for (const kind of ['hdb', 'hsb', 'ndb', 'ldb'] as const) if (s[kind].length) loadSourceBuffer(`test.${kind}`, text(`${s[kind].join('\n')}\n`), builder, problems);
  expect(problems.filter((p) => p.code.startsWith('E'))).toEqual([]);
  return new Uint8Array(builder.build(buildTime));
}

/** The segment kinds of a delta's body, in order (walks the layout of protocol/image-delta/delta-format.ts). */
function segmentKinds(delta: Uint8Array): string[] {
  const body = bodyOf(delta);
  let at = 0;
  const varint = () => {
    let x = 0;
    let scale = 1;
    for (;;) {
      const b = body[at++]!;
      x += (b & 0x7f) * scale;
      if (b < 0x80) return x;
      scale *= 128;
    }
  };
  const kinds: string[] = [];
  for (;;) {
    const kind = body[at++]!;
    if (kind === 0) return kinds;
    kinds.push(['', 'RAW', 'OPS', 'RECORDS', 'ALIGNED32', 'NAMES'][kind]!);
    varint();
    const len = varint();
    if (kind === 1) at += len;
    else if (kind === 2) {
      varint();
      varint();
      varint();
      for (let w = 0; w < len; ) {
        const op = body[at++]!;
        if (op === 1) {
          varint();
          w += varint();
        } else {
          const n = varint();
          at += n;
          w += n;
        }
      }
    } else if (kind === 3) {
      const size = varint();
      varint();
      varint();
      for (let n = 0; n < len / size; ) {
        const c = varint();
        varint();
        const i = varint();
        at += i * size;
        n += c + i;
      }
    } else if (kind === 4) {
      for (let k = 0; k < 5; k++) varint();
      const runs = varint();
      for (let k = 0; k < runs; k++) {
        varint();
        const n = varint();
        for (let i = 0; i < n; i++) varint();
      }
    } else if (kind === 5) {
      for (let k = 0; k < 5; k++) varint();
      const count = varint();
      for (let n = 0; n < count; ) {
        const c = varint();
        varint();
        const i = varint();
        for (let k = 0; k < i; k++) {
          const n = varint();
          at += n;
        }
        n += c + i;
      }
    }
  }
}

const base = text('hello, world');
const target = text('hello, brave world');

describe('image deltas: the VGDELTA2 layout', () => {
  it('applies a delta written by hand: OPS (COPY 0..7, INSERT "brave ", COPY 7..12)', () => {
    const body = cat([0x02], v(0, 18, 0, 12, 0), [0x01], v(0, 7), [0x02], v(6), text('brave '), [0x01], v(7, 5), [0x00]);
    const delta = frame(base, target, body);
    expect(new TextDecoder().decode(applyImageDelta(base, delta))).toBe('hello, brave world');
    expect(readImageDeltaHeader(delta)).toEqual({ baseLength: 12, baseSha256: sha(base), targetLength: 18, targetSha256: sha(target), bodyEncoding: 0, bodyLength: body.length });
    // The same body deflated, and as RAW + OPS segments in reverse order with a gap of zeros.
    expect(Buffer.from(applyImageDelta(base, frame(base, target, body, { deflate: true })))).toEqual(Buffer.from(target));
    const gapped = cat(text('hello'), [0, 0], text('world'));
    const reordered = cat([0x02], v(7, 5, 7, 5, 0), [0x01], v(0, 5), [0x01], v(0, 5), text('hello'), [0x00]);
    expect(Buffer.from(applyImageDelta(base, frame(base, gapped, reordered)))).toEqual(Buffer.from(gapped));
  });

  it('applies a filtered OPS: the u32 words are copied as differences and summed back', () => {
    const b = u32le(10, 20, 30, 40);
    const t = u32le(110, 120, 130, 140, 150);
    // Filter stride 1: window differences [10, 10, 10, 10]; target [110, 10, 10, 10, 10].
    const body = cat([0x02], v(0, 20, 0, 16, 1), [0x02], v(4), u32le(110), [0x01], v(4, 12), [0x01], v(4, 4), [0x00]);
    expect(Buffer.from(applyImageDelta(b, frame(b, t, body)))).toEqual(Buffer.from(t));
  });

  it('applies RECORDS and ALIGNED32: records kept, removed and inserted, and words that follow them', () => {
    // Base: records "aa" "bb" "cc" (size 2) then words [5, 6, 7]; target: "aa" "cc" "dd" then [5, 7, 9].
    const b = cat(text('aabbcc'), [0, 0], u32le(5, 6, 7));
    const t = cat(text('aaccdd'), [0, 0], u32le(5, 7, 9));
    const body = cat(
      [0x03], v(0, 6, 2, 0, 6), v(1, 1, 0), v(1, 0, 1), text('dd'), // copy aa, skip bb; copy cc, insert dd
      [0x04], v(8, 12, 1, 8, 12, 0, 1), v(1), v(2, 1, 18), // predicted [5, 7, 0]; + 9 (zz 18) to word 2
      [0x00],
    );
    expect(Buffer.from(applyImageDelta(b, frame(b, t, body)))).toEqual(Buffer.from(t));
  });

  it('applies NAMES: a front-coded name table rebuilt from the base, and ids mapped through it', () => {
    const before = buildNameTable(['a', 'ab', 'b']);
    const after = buildNameTable(['0', 'a', 'b']);
    const b = cat(before.data, u32le(2, 0, 1, 0xffffffff));
    // The target: block offsets (4 bytes), name data, then the ids [2, 0, 1, -1] renumbered to [2, 1, 2, -1].
    const t = cat(u32le(...after.blocks), after.data, u32le(2, 1, 2, 0xffffffff));
    const d = before.data.length;
    const body = cat(
      [0x05], v(4, after.data.length, 16, 0, d, 0, 4, 3), v(0, 0, 1, 1), text('0'), v(1, 1, 0), v(1, 0, 0),
      // ALIGNED32 over the identity, mapped by alignment 0 (a -> 1, ab -> 2 as skipped, b -> 2), no patch.
      [0x04], v(4 + after.data.length, 16, 0, d, 16, 1, 1), v(0),
      [0x00],
    );
    expect(Buffer.from(applyImageDelta(b, frame(b, t, body)))).toEqual(Buffer.from(t));
  });

  it('writes the same layout, deterministically', () => {
    const delta = createImageDelta(base, target, 4);
    expect(Buffer.from(delta.subarray(0, 8)).toString('latin1')).toBe('VGDELTA2');
    expect(bodyOf(delta)[bodyOf(delta).length - 1]).toBe(0);
    expect(Buffer.from(applyImageDelta(base, delta))).toEqual(Buffer.from(target));
    expect(Buffer.from(createImageDelta(base, target, 4))).toEqual(Buffer.from(delta));
  });
});

describe('image deltas: round trips', () => {
  it('round-trips any base and target, and stays small when the target is the base with a few edits', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.array(fc.tuple(fc.nat(), fc.uint8Array({ maxLength: 40 }), fc.nat(50))), fc.integer({ min: 4, max: 80 }), fc.boolean(), (b, edits, block, deflate) => {
        let t = Buffer.from(b);
        for (const [at, insert, cut] of edits) {
          const pos = t.length === 0 ? 0 : at % t.length;
          t = Buffer.concat([t.subarray(0, pos), insert, t.subarray(Math.min(t.length, pos + cut))]);
        }
        const delta = createImageDelta(b, t, block, { deflate });
        expectSame(applyImageDelta(b, delta), t);
      }),
      { numRuns: 200 },
    );
    const big = Uint8Array.from({ length: 200_000 }, (_, i) => (i * 7919) % 251);
    const edited = Buffer.concat([big.subarray(0, 1000), Buffer.from('inserted'), big.subarray(1000, 150_000), big.subarray(150_100)]);
    expect(createImageDelta(big, edited).length).toBeLessThan(200);
    expect(createImageDelta(big, edited, 64, { deflate: false }).length).toBeLessThan(200);
  });

  it('round-trips compiled databases with names inserted and removed (ids renumbered), hashes changed and patterns edited, in a few % of the image', () => {
    const n = sources(4000);
    const imageN = compile(n);
    const next = nextRelease(n, 11, 80);
    const imageNext = compile(next, 1_700_000_100);
    const delta = roundTrip(imageN, imageNext);
    expect(delta.length).toBeLessThan(imageNext.length * 0.05);
    expect(segmentKinds(delta)).toEqual(expect.arrayContaining(['NAMES', 'RECORDS', 'ALIGNED32']));
    // Against the old writer's way (one OPS over the whole images), the sections win by far.
    const plain = roundTrip(imageN, imageNext, { sections: false, deflate: false });
    expect(delta.length * 4).toBeLessThan(plain.length);
    // And the rebuilt image is a database that loads.
    expect(new Database(applyImageDelta(imageN, delta), 'rebuilt').info().hashSignatures).toBeGreaterThan(0);
    // Names first in sort order ('Aaa.New...') renumber every id; the prediction follows them.
    const early = nextRelease(next, 12, 30);
    roundTrip(imageNext, compile(early));
    // Deltas between a release and itself, to and from an empty database, and backwards.
    roundTrip(imageN, imageN);
    const empty = compile({ hdb: [], hsb: [], ndb: [], ldb: [] });
    roundTrip(empty, imageN);
    roundTrip(imageN, empty);
    // Backwards, the first names of the base ('Aaa.New...') are removed: runs that begin with skips.
    const back = roundTrip(imageNext, imageN);
    expect(segmentKinds(back)).toEqual(expect.arrayContaining(['NAMES', 'RECORDS', 'ALIGNED32']));
    expect(back.length).toBeLessThan(imageN.length * 0.05);
  });

  it('round-trips random section tables: sections added, removed, emptied, retyped, and structured ids with garbage', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 400 }), fc.constantFrom(1, 2, 3), fc.uint8Array({ maxLength: 400 })), { maxLength: 12 }),
        fc.array(fc.tuple(fc.nat(20), fc.nat(), fc.uint8Array({ maxLength: 40 })), { maxLength: 12 }),
        (specs, edits) => {
          const build = (list: [number, number, Uint8Array][]) => {
            const w = new ImageWriter();
            const seen = new Set<number>();
            for (const [id, type, bytes] of list) {
              if (seen.has(id)) continue;
              seen.add(id);
              const whole = bytes.subarray(0, type === 1 ? bytes.length : bytes.length - (bytes.length % 4));
              const copy = new Uint8Array(whole);
              w.add(id, type === 1 ? copy : type === 2 ? new Uint32Array(copy.buffer) : new Int32Array(copy.buffer));
            }
            return new Uint8Array(w.toBuffer());
          };
          const before = specs.map(([id, type, bytes]): [number, number, Uint8Array] => [id % 2 ? id : [SECTION.HASH_NAME_DATA, SECTION.HASH_NAME_BLOCKS, hashSection('md5', 'detect', 'digests'), hashSection('md5', 'detect', 'names'), SECTION.PATTERNS][id % 5]!, type, bytes]);
          const after = before.map((s) => [...s] as [number, number, Uint8Array]);
          for (const [which, at, bytes] of edits) {
            const k = which % (after.length + 1);
            if (k === after.length) after.push([at % 500, 1 + (at % 3), bytes]); // a section added
            else if (at % 5 === 0) after.splice(k, 1); // removed
            else if (at % 5 === 1) after[k]![2] = new Uint8Array(0); // emptied
            else if (at % 5 === 2) after[k]![1] = 1 + (at % 3); // retyped
            else {
              const old = after[k]![2];
              const pos = old.length ? at % old.length : 0;
              after[k]![2] = cat(old.subarray(0, pos), bytes, old.subarray(pos + 4)); // edited
            }
          }
          roundTrip(build(before), build(after));
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('image deltas: hostile input', () => {
  const small = createImageDelta(base, target, 4, { deflate: false });
  const body = bodyOf(small);

  it('refuses a delta for another base', () => {
    expectCode(() => applyImageDelta(text('hello, World'), small), 'WRONG_BASE');
    expectCode(() => applyImageDelta(text('hello'), small), 'WRONG_BASE');
  });

  it('refuses a target larger than allowed before inflating or allocating it, and one that hashes otherwise', () => {
    expectCode(() => applyImageDelta(base, small, { maxTargetBytes: 10 }), 'TOO_LARGE');
    const huge = frame(base, target, new Uint8Array([0]), { targetLength: 0xffffffff });
    expectCode(() => applyImageDelta(base, huge), 'TOO_LARGE');
    expectCode(() => applyImageDelta(base, frame(base, target, body, { targetSha: sha(base) })), 'TARGET_MISMATCH');
    // Only the bytes written by segments: the rest of the target stays 0, so this one hashes otherwise.
    const partial = cat([0x01], v(0, 5), text('hello'), [0x00]);
    expectCode(() => applyImageDelta(base, frame(base, target, partial)), 'TARGET_MISMATCH');
  });

  it('refuses a delta truncated at every offset, and a body cut short at every offset', () => {
    for (const delta of [small, createImageDelta(base, target, 4, { deflate: true }), frame(base, target, body, { deflate: true })]) {
      for (let k = 0; k < delta.length; k++) expectCode(() => applyImageDelta(base, delta.subarray(0, k)), 'MALFORMED_DELTA');
    }
    for (let k = 0; k < body.length; k++) {
      expectCode(() => applyImageDelta(base, frame(base, target, body.subarray(0, k))), 'MALFORMED_DELTA');
      expectCode(() => applyImageDelta(base, frame(base, target, body.subarray(0, k), { deflate: true })), 'MALFORMED_DELTA');
    }
  });

  it('fails only with ImageDeltaError when any byte of a delta of each segment kind is corrupted', () => {
    const n = sources(200, 3);
    const a = compile(n);
    const b = compile(nextRelease(n, 5, 20));
    const real = createImageDelta(a, b, 64, { deflate: false });
    expect(segmentKinds(real)).toEqual(expect.arrayContaining(['NAMES', 'RECORDS', 'ALIGNED32', 'OPS']));
    const realBody = bodyOf(real);
    const values = [0x00, 0x01, 0x05, 0x7f, 0x80, 0xff];
    const seen = new Set<string>();
    // Every byte of the header and the segment headers, and a sample of the rest.
    for (let at = 0; at < real.length; at += at < IMAGE_DELTA_HEADER_BYTES + 600 ? 1 : 97) {
      for (const x of [...values, (real[at]! + 1) & 0xff]) {
        if (x === real[at]) continue;
        const bad = new Uint8Array(real);
        bad[at] = x;
        const code = codeOf(() => applyImageDelta(a, bad));
        seen.add(code);
      }
    }
    // A corrupted COPY offset may still point at equal bytes: then the target is rebuilt all the same.
    expect([...seen].every((c) => ['OK', 'MALFORMED_DELTA', 'TARGET_MISMATCH', 'WRONG_BASE', 'TOO_LARGE'].includes(c))).toBe(true);
    expect(seen).toContain('MALFORMED_DELTA');
    expect(seen).toContain('TARGET_MISMATCH');
    expect(seen).toContain('WRONG_BASE');
    // The same corruptions reframed (the header stays right), so that the body's parser meets them.
    for (let at = 0; at < realBody.length; at += at < 600 ? 1 : 53) {
      for (const x of values) {
        if (x === realBody[at]) continue;
        const bad = new Uint8Array(realBody);
        bad[at] = x;
        expect(['OK', 'MALFORMED_DELTA', 'TARGET_MISMATCH']).toContain(codeOf(() => applyImageDelta(a, frame(a, b, bad))));
      }
    }
  });

  it('fails only with ImageDeltaError on arbitrary bodies', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (tail, deflate) => {
        expect(codeOf(() => applyImageDelta(base, frame(base, target, tail, { deflate })))).not.toBe('OK');
      }),
      { numRuns: 500 },
    );
  });

  it('names what is wrong: bounds of windows, segments, runs, patches and name tables', () => {
    const b = cat(text('aabbcc'), [0, 0], u32le(5, 6, 7));
    const t = cat(text('aaccdd'), [0, 0], u32le(5, 7, 9));
    const records = cat([0x03], v(0, 6, 2, 0, 6), v(1, 1, 0), v(1, 0, 1), text('dd'));
    const cases: [string, Uint8Array][] = [
      ['COPY past its window', cat([0x02], v(0, 18, 0, 12, 0), [0x01], v(0, 13), [0x00])],
      ['COPY of length 0', cat([0x02], v(0, 18, 0, 12, 0), [0x01], v(0, 0), [0x00])],
      ['INSERT past its segment', cat([0x02], v(0, 18, 0, 12, 0), [0x02], v(19), text('x'.repeat(19)), [0x00])],
      ['INSERT longer than the body', cat([0x02], v(0, 18, 0, 12, 0), [0x02], v(18), text('xx'))],
      ['window past the base', cat([0x02], v(0, 18, 6, 7, 0), [0x01], v(0, 7), [0x00])],
      ['segment past the target', cat([0x01], v(10, 9), text('x'.repeat(9)), [0x00])],
      ['overlapping segments', cat([0x01], v(0, 10), text('x'.repeat(10)), [0x01], v(8, 10), text('x'.repeat(10)), [0x00])],
      ['unknown segment', cat([0x09], v(0, 1), [0x00])],
      ['unknown operation', cat([0x02], v(0, 18, 0, 12, 0), [0x07], [0x00])],
      ['bytes after END', cat([0x01], v(0, 18), target, [0x00, 0x00])],
      ['no END', cat([0x01], v(0, 18), target)],
      ['a varint of 6 bytes', cat([0x01], [0x80, 0x80, 0x80, 0x80, 0x80, 0x00], v(0), [0x00])],
      ['a varint above 32 bits', cat([0x01], [0xff, 0xff, 0xff, 0xff, 0x1f], v(0), [0x00])],
      ['a filtered OPS over a partial word', cat([0x02], v(0, 18, 0, 12, 1), [0x02], v(18), target, [0x00])],
    ];
    for (const [why, body] of cases) expect([why, codeOf(() => applyImageDelta(base, frame(base, target, body)))]).toEqual([why, 'MALFORMED_DELTA']);
    const structured: [string, Uint8Array][] = [
      ['RECORDS of size 0', cat([0x03], v(0, 6, 0, 0, 6), v(1, 0, 0), [0x00])],
      ['RECORDS window not whole records', cat([0x03], v(0, 6, 4, 0, 6), v(1, 0, 0), [0x00])],
      ['an empty RECORDS run', cat([0x03], v(0, 6, 2, 0, 6), v(0, 0, 0), [0x00])],
      ['a RECORDS run past its window', cat([0x03], v(0, 6, 2, 0, 6), v(4, 0, 0), [0x00])],
      ['a RECORDS run past its segment', cat([0x03], v(0, 6, 2, 0, 6), v(0, 0, 4), text('ddeeffgg'), [0x00])],
      ['ALIGNED32 of a missing alignment', cat(records, [0x04], v(8, 12, 2, 8, 12, 0, 1), v(0), [0x00])],
      ['ALIGNED32 that does not fit its alignment', cat(records, [0x04], v(8, 12, 1, 8, 8, 0, 1), v(0), [0x00])],
      ['ALIGNED32 with a unit of 0', cat(records, [0x04], v(8, 12, 1, 8, 12, 1, 0), v(0), [0x00])],
      ['an ALIGNED32 patch past its segment', cat(records, [0x04], v(8, 12, 1, 8, 12, 0, 1), v(1), v(2, 2, 1, 1), [0x00])],
      ['NAMES over a window that is no name table', cat([0x05], v(8, 4, 16, 0, 8, 0, 4, 1), v(1, 0, 0), [0x00])],
      ['NAMES with the wrong block offsets length', cat([0x05], v(8, 4, 16, 0, 0, 0, 8, 1), v(0, 0, 1), v(1), text('x'), [0x00])],
      ['NAMES longer than its segment', cat([0x05], v(8, 2, 16, 0, 0, 0, 4, 1), v(0, 0, 1), v(3), text('xyz'), [0x00])],
    ];
    for (const [why, body] of structured) expect([why, codeOf(() => applyImageDelta(b, frame(b, t, body)))]).toEqual([why, 'MALFORMED_DELTA']);
  });

  it('refuses bad headers and bodies that do not inflate to their announced length', () => {
    const good = cat([0x01], v(0, 18), target, [0x00]);
    expectCode(() => applyImageDelta(base, new Uint8Array(10)), 'MALFORMED_DELTA');
    expectCode(() => applyImageDelta(base, cat(text('VGDELTA1'), frame(base, target, good).subarray(8))), 'MALFORMED_DELTA');
    expectCode(() => applyImageDelta(base, frame(base, target, good, { encoding: 2 })), 'MALFORMED_DELTA');
    expectCode(() => applyImageDelta(base, frame(base, target, good, { bodyLength: good.length + 1 })), 'MALFORMED_DELTA');
    expectCode(() => applyImageDelta(base, frame(base, target, good, { bodyLength: 18 + 1024 * 1024 + 1 })), 'MALFORMED_DELTA');
    expectCode(() => applyImageDelta(base, frame(base, target, good, { deflate: true, bodyLength: good.length - 1 })), 'MALFORMED_DELTA');
    expectCode(() => applyImageDelta(base, frame(base, target, good, { deflate: true, bodyLength: good.length + 1 })), 'MALFORMED_DELTA');
    expectCode(() => applyImageDelta(base, cat(frame(base, target, good, { deflate: true }), [0x00])), 'MALFORMED_DELTA');
    // A deflate bomb: a megabyte of zeros announced as 22 bytes stops at 22.
    expectCode(() => applyImageDelta(base, frame(base, target, new Uint8Array(1 << 20), { deflate: true, bodyLength: 22 })), 'MALFORMED_DELTA');
    expect(Buffer.from(applyImageDelta(base, frame(base, target, good, { deflate: true })))).toEqual(Buffer.from(target));
  });

  it('bounds the base a delta may read through windows', () => {
    // Each filtered OPS reads its window again; past twice the base + 1 MiB it stops.
    const b = new Uint8Array(1 << 20);
    const t = new Uint8Array(8);
    const filtered = (n: number) => cat(...Array.from({ length: n }, () => cat([0x02], v(0, 0, 0, 1 << 20, 1))), [0x00]);
    expect(codeOf(() => applyImageDelta(b, frame(b, t, filtered(3))))).toBe('OK');
    expect(codeOf(() => applyImageDelta(b, frame(b, t, filtered(4))))).toBe('MALFORMED_DELTA');
  });
});

describe('image deltas: the header and the door', () => {
  it('writes the header byte for byte as the layout pins it, and reads back what it wrote', () => {
    const base = text('the base image');
    const target = text('the target image, longer');
    const body = cat([0x01], v(0, target.length), target, [0x00]);
    const fields = { baseLength: base.length, baseSha256: sha(base), targetLength: target.length, targetSha256: sha(target), bodyEncoding: 0, bodyLength: body.length };
    const written = new Uint8Array(IMAGE_DELTA_HEADER_BYTES + body.length);
    writeImageDeltaHeader(fields, written);
    written.set(body, IMAGE_DELTA_HEADER_BYTES);
    expectSame(written, frame(base, target, body));
    expect(readImageDeltaHeader(written)).toEqual(fields);
    expect(() => writeImageDeltaHeader(fields, new Uint8Array(IMAGE_DELTA_HEADER_BYTES - 1))).toThrow(RangeError);
  });

  it('exports the names of the single-file module it replaced, by name, through the protocol index too', () => {
    const names = [
      'Alignment', 'DeltaReader', 'IMAGE_DELTA_BODY_DEFLATE', 'IMAGE_DELTA_BODY_SLACK_BYTES', 'IMAGE_DELTA_BODY_STORED',
      'IMAGE_DELTA_DEFAULT_MAX_TARGET_BYTES', 'IMAGE_DELTA_HEADER_BYTES', 'IMAGE_DELTA_MAGIC', 'IMAGE_DELTA_MAX_IMAGE_BYTES',
      'IMAGE_DELTA_OP_COPY', 'IMAGE_DELTA_OP_INSERT', 'IMAGE_DELTA_SEGMENT', 'ImageDeltaError', 'NameTableReader',
      'applyImageDelta', 'deltaFilter', 'predictAligned32', 'putWords', 'readImageDeltaHeader', 'unzigzag', 'wordsOf',
      'writeImageDeltaHeader', 'zigzag',
    ];
    expect(Object.keys(imageDeltaDoor).sort()).toEqual([...names].sort());
    for (const name of names) expect([name, (protocolDoor as Record<string, unknown>)[name]]).toEqual([name, (imageDeltaDoor as Record<string, unknown>)[name]]);
  });
});
