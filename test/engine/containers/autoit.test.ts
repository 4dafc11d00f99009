// Compiled AutoIt scripts (EA05, EA06): the two samples of Debian's clamav-testfiles each carry the
// script and ClamAV's clam.exe (a FileInstall entry); every entry is decrypted and decompressed as
// ClamAV's autoit.c does, and damaged copies (cut short, bytes changed, garbage after the marker)
// give issues or fewer members, never an exception, never more output than the entries declare.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AUTOIT_MARKER, autoItMembers, findAutoIt } from '../../../src/engine/containers/autoit.js';
import type { Member, ReadBounds } from '../../../src/engine/containers/member.js';
import { peOverlayStart } from '../../../src/engine/containers/pe-overlay.js';
import { ScanBudget } from '../../../src/engine/containers/scan-budget.js';
import { createScanner, DEFAULT_LIMITS } from '../../../src/engine/index.js';

const TESTFILES = '/usr/share/clamav-testfiles';
const present = existsSync(join(TESTFILES, 'clam.exe'));
const CLAM_MD5 = 'aa15bcf478d165efd2065190eb473bcb';
/** Output taken from one member at most (the samples' entries are far smaller). */
const OUTPUT_CAP = 1 << 20;

const bounds = (): ReadBounds => ({ maxEntries: 64, budget: new ScanBudget(DEFAULT_LIMITS) });

interface Extracted {
  name: string | null;
  kind: Member['kind'];
  bytes?: Buffer;
  end?: string;
  detail?: string;
  truncated?: boolean;
}

/** Every member, with its decoder run to the end (the sink refusing past OUTPUT_CAP). */
async function extract(b: Uint8Array, at: number, rb: ReadBounds = bounds()): Promise<Extracted[]> {
  const out: Extracted[] = [];
  for (const m of autoItMembers(b, at, rb)) {
    if (m.kind === 'compressed') {
      const chunks: Uint8Array[] = [];
      let total = 0;
      const end = await m.decoder(m.input, (chunk) => {
        expect(chunk.length).toBeGreaterThan(0);
        chunks.push(chunk);
        total += chunk.length;
        return total < OUTPUT_CAP;
      });
      out.push({ name: m.name, kind: m.kind, bytes: Buffer.concat(chunks), end: end.end, ...(m.truncated ? { truncated: true } : {}) });
    } else if (m.kind === 'stored') {
      out.push({ name: m.name, kind: m.kind, bytes: Buffer.from(m.bytes), end: 'complete' });
    } else if (m.kind === 'issue') {
      out.push({ name: m.name, kind: m.kind, detail: `${m.code}: ${m.detail}` });
    } else {
      out.push({ name: null, kind: m.kind });
    }
  }
  return out;
}

const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');

const SAMPLES = [
  { file: 'clam.ea05.exe', marker: 206848, script: 'script.au3', scriptSize: 0x57e6 },
  { file: 'clam.ea06.exe', marker: 252928, script: 'script.a3x', scriptSize: 0x4dd1 },
] as const;

describe.skipIf(!present)('AutoIt samples (clamav-testfiles)', () => {
  for (const s of SAMPLES) {
    describe(s.file, () => {
      const b = present ? readFileSync(join(TESTFILES, s.file)) : Buffer.alloc(0);

      it('finds the marker in the overlay and from the start of the file', () => {
        const o = peOverlayStart(b);
        expect(o && 'start' in o ? o.start : -1).toBeLessThanOrEqual(s.marker);
        expect(findAutoIt(b, o && 'start' in o ? o.start : 0)).toBe(s.marker);
        expect(findAutoIt(b, 0)).toBe(s.marker);
        expect(findAutoIt(b, s.marker + 1)).toBeNull();
      });

      it('extracts the script and clam.exe, byte for byte', async () => {
        const got = await extract(b, s.marker);
        expect(got.map((m) => [m.kind, m.name, m.end])).toEqual([
          ['compressed', `autoit@${s.marker}/${s.script}`, 'complete'],
          ['compressed', `autoit@${s.marker}/clam.exe`, 'complete'],
        ]);
        expect(got[0]!.bytes!.length).toBe(s.scriptSize);
        expect(got[1]!.bytes!.length).toBe(544);
        expect(md5(got[1]!.bytes!)).toBe(CLAM_MD5);
        expect(got[1]!.bytes!.equals(readFileSync(join(TESTFILES, 'clam.exe')))).toBe(true);
      });

      it('holds script text (EA05) or tokens (EA06)', async () => {
        const script = (await extract(b, s.marker))[0]!.bytes!;
        if (s.file === 'clam.ea05.exe') {
          // ">AUTOIT UNICODE SCRIPT<": UTF-16LE source with a byte-order mark.
          expect(script.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xfe]));
          expect(script.toString('utf16le')).toMatch(/FileInstall/i);
        } else {
          // Tokenized: a 32-bit line count first (ClamAV reports 331 lines).
          expect(script.readUInt32LE(0)).toBe(331);
        }
      });

      it('an entry not flagged compressed is only decrypted (here: the compressed stream itself)', async () => {
        const [, file] = [...autoItMembers(b, s.marker, bounds())];
        if (file?.kind !== 'compressed') throw new Error('no clam.exe member');
        const data = file.input.byteOffset - b.byteOffset;
        const c = Buffer.from(b);
        // The compressed flag precedes the sizes, checksum and timestamps (29 bytes before the data).
        expect(c[data - 29]).toBe(1);
        c[data - 29] = 0;
        const got = await extract(c, s.marker);
        expect(got.map((m) => [m.name, m.end])).toEqual([
          [`autoit@${s.marker}/${s.script}`, 'complete'],
          [`autoit@${s.marker}/clam.exe`, 'complete'],
        ]);
        const raw = got[1]!.bytes!;
        expect(raw.length).toBe(file.input.length);
        expect(raw.subarray(0, 4).toString('latin1')).toBe(s.file === 'clam.ea05.exe' ? 'EA05' : 'EA06');
        expect(raw.readUInt32BE(4)).toBe(544);
      });

      it('stops at maxEntries', async () => {
        const got = await extract(b, s.marker, { maxEntries: 1, budget: new ScanBudget(DEFAULT_LIMITS) });
        expect(got.map((m) => m.name)).toEqual([`autoit@${s.marker}/${s.script}`]);
      });

      it('stops decoding when the sink refuses', async () => {
        const m = [...autoItMembers(b, s.marker, bounds())][0]!;
        if (m.kind !== 'compressed') throw new Error(m.kind);
        let calls = 0;
        const end = await m.decoder(m.input, () => (calls++, false));
        expect(end).toEqual({ end: 'stopped' });
        expect(calls).toBe(1);
      });

      it('cut short at many offsets: no throw, fewer members or an issue, never more output', async () => {
        const full = await extract(b, s.marker);
        const end = b.length;
        const cuts = new Set<number>();
        for (let at = s.marker; at < end; at += 97) cuts.add(at);
        for (let at = s.marker; at < s.marker + 200; at++) cuts.add(at);
        for (let k = 1; k <= 64; k++) cuts.add(end - k);
        for (const cut of cuts) {
          const got = await extract(b.subarray(0, cut), s.marker);
          const complete = got.filter((m) => m.end === 'complete' && !m.truncated);
          expect(complete.length, `cut at ${cut}`).toBeLessThanOrEqual(full.length);
          if (cut < s.marker + 24 + 16) {
            expect(got.length).toBe(1);
            expect(got[0]!.kind).toBe('issue');
            continue;
          }
          // Something tells that the input ended early: an issue, a truncated member or a decoder error.
          const noticed = got.some((m) => m.kind === 'issue' || m.truncated === true || m.end === 'error');
          expect(noticed || complete.length < full.length, `cut at ${cut}`).toBe(true);
          for (const m of got) if (m.bytes) expect(m.bytes.length).toBeLessThanOrEqual(full.find((f) => f.name === m.name)!.bytes!.length);
        }
      });

      it('random corruption after the marker: no throw, bounded output', async () => {
        const full = await extract(b, s.marker);
        const span = b.length - s.marker;
        await fc.assert(
          fc.asyncProperty(fc.array(fc.tuple(fc.nat(span - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), async (edits) => {
            const c = Buffer.from(b);
            for (const [off, v] of edits) c[s.marker + off] = v;
            const got = await extract(c, s.marker);
            expect(got.length).toBeLessThanOrEqual(full.length + 1);
            for (const m of got) if (m.bytes) expect(m.bytes.length).toBeLessThanOrEqual(OUTPUT_CAP + 64 * 1024);
          }),
          { numRuns: 300 },
        );
      });
    });
  }
});

describe('AutoIt, built input', () => {
  const header = (v: '5' | '6') => Buffer.concat([Buffer.from(AUTOIT_MARKER), Buffer.from(`AU3!EA0${v}`, 'latin1'), Buffer.alloc(16, 0x41)]);

  it('wants the subtype after the marker', () => {
    const b = Buffer.concat([Buffer.alloc(100), Buffer.from(AUTOIT_MARKER), Buffer.from('AU3!EA07', 'latin1'), Buffer.alloc(64), header('5'), Buffer.alloc(64)]);
    expect(findAutoIt(b, 0)).toBe(100 + 16 + 8 + 64);
    expect(findAutoIt(Buffer.concat([Buffer.from(AUTOIT_MARKER), Buffer.from('AU3!EA05', 'latin1')]), 0)).toBeNull();
    expect(findAutoIt(Buffer.alloc(0), 0)).toBeNull();
    expect(findAutoIt(b, b.length + 5)).toBeNull();
  });

  it('searches a bounded window after `from` and the end of the file', () => {
    const big = Buffer.alloc(10 * 1024 * 1024);
    header('6').copy(big, 5 * 1024 * 1024);
    expect(findAutoIt(big, 0)).toBeNull();
    header('6').copy(big, big.length - 100);
    expect(findAutoIt(big, 0)).toBe(big.length - 100);
    expect(findAutoIt(big, 4 * 1024 * 1024)).toBe(5 * 1024 * 1024);
    // A marker that starts inside the window and ends past it still counts.
    const edge = Buffer.alloc(6 * 1024 * 1024);
    header('5').copy(edge, 4 * 1024 * 1024 - 5);
    expect(findAutoIt(edge, 0)).toBe(4 * 1024 * 1024 - 5);
  });

  for (const v of ['5', '6'] as const) {
    it(`EA0${v}: garbage after the marker gives an issue and nothing else`, async () => {
      const rand = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 131 + 7) & 0xff));
      for (const tail of [Buffer.alloc(0), Buffer.alloc(3), Buffer.alloc(4096), rand]) {
        const got = await extract(Buffer.concat([header(v), tail]), 0);
        expect(got).toHaveLength(1);
        expect(got[0]!.kind).toBe('issue');
        expect(got[0]!.detail).toMatch(tail.length < 8 ? /^truncated/ : /^corrupt/);
      }
    });

    it(`EA0${v}: a header that claims huge strings or sizes stays bounded`, async () => {
      const tag = v === '5' ? 0xceb06dff : 0x52ca436b;
      const entry = Buffer.alloc(64, 0xff);
      entry.writeUInt32LE(tag, 0);
      const got = await extract(Buffer.concat([header(v), entry]), 0);
      expect(got).toHaveLength(1);
      expect(got[0]!.kind).toBe('issue');
    });
  }

  it('no header at the given offset is an issue', async () => {
    const got = await extract(Buffer.alloc(100), 10);
    expect(got.map((m) => m.kind)).toEqual(['issue']);
  });
});

describe.skipIf(!present)('AutoIt script inside the sections of a PE (AutoIt 3.3 and later)', () => {
  it('finds and unpacks it when the PE has no overlay, and names the entry', async () => {
    // clam.ea06.exe with its last section stretched to the end of the file: the script is then inside
    // the sections, where a resource would hold it, and the file has no overlay.
    const b = Buffer.from(readFileSync(join(TESTFILES, 'clam.ea06.exe')));
    const pe = b.readUInt32LE(0x3c);
    const sections = b.readUInt16LE(pe + 6);
    const table = pe + 24 + b.readUInt16LE(pe + 20);
    let last = table;
    for (let i = 0; i < sections; i++) {
      const at = table + i * 40;
      if (b.readUInt32LE(at + 20) > b.readUInt32LE(last + 20)) last = at;
    }
    b.writeUInt32LE(b.length - b.readUInt32LE(last + 20), last + 16);
    expect(peOverlayStart(b)).toBeNull();

    const dir = mkdtempSync(join(tmpdir(), 'vigil-autoit-'));
    try {
      writeFileSync(join(dir, 'clam.hdb'), `${CLAM_MD5}:544:Vigil.TestFile.ClamHash\n`);
      const scanner = await createScanner({ databases: [dir], cacheDir: false });
      const r = await scanner.scanBuffer(b, { path: 'au3.exe' });
      expect(r.findings.map((f) => [f.signature, f.path])).toEqual([['Vigil.TestFile.ClamHash.UNOFFICIAL', 'au3.exe//autoit@252928/clam.exe']]);
      // The unchanged file (the script in the overlay) is found the same way.
      const o = await scanner.scanBuffer(readFileSync(join(TESTFILES, 'clam.ea06.exe')), { path: 'o.exe' });
      expect(o.findings.map((f) => f.path)).toEqual(['o.exe//autoit@252928/clam.exe']);
      // The same PE whose marker is followed by another subtype holds no script.
      const other = Buffer.from(b);
      other.write('AU3!EA07', 252928 + AUTOIT_MARKER.length, 'latin1');
      expect((await scanner.scanBuffer(other, { path: 'other.exe' })).findings).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
