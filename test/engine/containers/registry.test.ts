// The container registry (src/engine/containers/registry.ts): every registered format comes with a
// valid, a truncated and a corrupted sample made by code (samples/), and each is answered without a
// crash and within the scan's budget, as the tree walk counts it; the detection order keeps the
// rules that settle bytes two formats could claim; the container files import no circle.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ALERTS, DEFAULT_LIMITS, detectContainer, heldBound, type ScanLimits } from '../../../src/engine/index.js';
import { CONTAINER_READERS, looksLikeContainer, ScanBudget, TreeScan, type ContainerReader, type Member, type ScanObject } from '../../../src/engine/containers/index.js';
import { buildZip, HASHED } from './samples.js';
import { message, multipart, partText } from './samples-mail.js';
import { SAMPLE_SETS, type SampleSet } from './samples/index.js';
import { buildPe } from './samples/pe-overlay.js';

const MiB = 1024 * 1024;
/** Small limits, so that "within the budget" is a real bound for these samples. */
const LIMITS: ScanLimits = { ...DEFAULT_LIMITS, maxFileSize: 1 * MiB, maxScanSize: 4 * MiB, maxFiles: 50, maxRecursion: 6 };
const KINDS = ['valid', 'truncated', 'corrupted'] as const;

/** The registered formats that have no complete sample set (all three generators). */
function listMissingSampleSets(readers: readonly Pick<ContainerReader, 'name'>[], sets: Readonly<Record<string, SampleSet>>): string[] {
  return readers.filter((r) => KINDS.some((k) => typeof sets[r.name]?.[k] !== 'function')).map((r) => r.name);
}

/** Every object's bytes "scanned" (counted, nothing matched), as the scanner's own callback counts them. */
const countOnly: ScanObject = (b, _path, maxScanSize) => ({
  verdict: 'clean', infected: false, findings: [], size: b.length, bytesScanned: Math.min(b.length, maxScanSize), fileType: 'binary', allowListed: false,
});

/** The tree walk over `bytes`, as the scanner starts it (the input's own bytes counted first). */
async function walk(bytes: Uint8Array): Promise<TreeScan> {
  const tree = new TreeScan(countOnly, { allMatch: true, limits: LIMITS, alerts: DEFAULT_ALERTS }, new ScanBudget(LIMITS));
  tree.budget.scanned = Math.min(bytes.length, LIMITS.maxScanSize);
  await tree.unpack(bytes, 'sample', 0);
  return tree;
}

/** The entries (objects to scan) a reader lists when it may list `maxEntries`. */
async function countEntriesListed(reader: ContainerReader, bytes: Uint8Array, maxEntries: number): Promise<number> {
  const budget = new ScanBudget(LIMITS);
  let entries = 0;
  const members = reader.members(bytes, { maxEntries, budget }, { heuristics: true }) as AsyncIterable<Member>;
  for await (const m of members) if (m.kind === 'stored' || m.kind === 'compressed') entries++;
  return entries;
}

describe('container registry', () => {
  it('names every format once', () => {
    const names = CONTAINER_READERS.map((r) => r.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('requires the three sample generators of every registered format', () => {
    expect(listMissingSampleSets(CONTAINER_READERS, SAMPLE_SETS)).toEqual([]);
    // And no sample set for a format that is not registered (a renamed or removed reader).
    const names = new Set<string>(CONTAINER_READERS.map((r) => r.name));
    expect(Object.keys(SAMPLE_SETS).filter((n) => !names.has(n))).toEqual([]);
  });

  it('the sample check itself fails for a format registered without its samples', () => {
    const fake = [...CONTAINER_READERS, { name: 'alz' }];
    expect(listMissingSampleSets(fake, SAMPLE_SETS)).toEqual(['alz']);
    const partial = { ...SAMPLE_SETS, alz: { valid: () => new Uint8Array(1), truncated: () => new Uint8Array(1) } as unknown as SampleSet };
    expect(listMissingSampleSets(fake, partial)).toEqual(['alz']);
  });

  describe.each(CONTAINER_READERS.map((r) => [r.name, r] as const))('%s', (name, reader) => {
    const set = SAMPLE_SETS[name];

    it('detects its valid sample, from the whole and from the head', async () => {
      const valid = await set!.valid();
      expect(detectContainer(valid)).toBe(name);
      expect(reader.sniff(valid)).toBe(true);
      expect(looksLikeContainer(valid)).toBe(true);
    });

    it.each(KINDS)('answers its %s sample without a crash and within the budget', async (kind) => {
      const bytes = await set![kind]();
      // The damaged samples are still this format's, so its own reader answers the damage.
      expect(detectContainer(bytes)).toBe(name);
      const tree = await walk(bytes);
      // A reader that throws is reported as "the <format> reader failed" by the walk.
      expect(tree.issues.filter((i) => i.detail.includes('reader failed'))).toEqual([]);
      const { budget } = tree;
      expect(budget.objects).toBeLessThanOrEqual(LIMITS.maxFiles);
      expect(budget.scanned).toBeLessThanOrEqual(LIMITS.maxScanSize);
      expect(budget.peakHeld).toBeLessThanOrEqual(heldBound(LIMITS));
      // Every byte unpacked ahead was handed back: nothing left counted as pending or held.
      expect(budget.pending).toBe(0);
      expect(budget.held).toBe(0);
      if (kind === 'valid' && !set!.detectedOnly) {
        expect(budget.objects).toBeGreaterThan(0);
        expect(tree.issues.filter((i) => i.code === 'corrupt' || i.code === 'truncated')).toEqual([]);
      }
    });

    // Only readers that enforce max-files themselves get this case (gzip and bzip2 hold one member).
    if (reader.limits.includes('max-files')) it('lists no more entries than its bounds allow (max-files)', async () => {
      const valid = await set!.valid();
      expect(await countEntriesListed(reader, valid, 1)).toBeLessThanOrEqual(1);
    });
  });
});

describe('detection order', () => {
  const names: string[] = CONTAINER_READERS.map((r) => r.name);
  const at = (n: string) => names.indexOf(n);

  it('tries the formats without a magic last, ZIP after mail, the PE overlay after NSIS and ZIP', () => {
    expect(names.at(-1)).toBe('lzma');
    expect(at('zip')).toBeGreaterThan(at('mail'));
    expect(at('zip')).toBeGreaterThan(at('mbox'));
    expect(at('pe-overlay')).toBeGreaterThan(at('nsis'));
    expect(at('pe-overlay')).toBeGreaterThan(at('zip'));
    expect(at('html-data')).toBeGreaterThan(at('pe-overlay'));
  });

  it('takes a message carrying a ZIP for mail, and a ZIP after a PE stub for ZIP', () => {
    const zip = buildZip([{ name: 'known.bin', data: HASHED }]);
    const mail = message(multipart([partText({ filename: 'a.zip', encoding: '7bit', data: zip })], 'B'));
    expect(detectContainer(mail)).toBe('mail');
    expect(detectContainer(Buffer.concat([buildPe(new Uint8Array(0)), zip]))).toBe('zip');
  });
});

describe('container sources', () => {
  const DIR = resolve(__dirname, '../../../src/engine/containers');
  const files = readdirSync(DIR).filter((f) => f.endsWith('.ts'));
  const importsOf = (file: string) => [...readFileSync(join(DIR, file), 'utf8').matchAll(/from\s+'\.\/([^']+)\.js'/g)].map((m) => `${m[1]!}.ts`);

  it('import no circle (readers of OLE2 streams receive the streams, they do not import the OLE2 reader)', () => {
    const graph = new Map(files.map((f) => [f, importsOf(f).filter((g) => files.includes(g))]));
    const circles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (f: string, path: string[]): void => {
      if (state.get(f) === 'done') return;
      if (state.get(f) === 'open') {
        circles.push([...path.slice(path.indexOf(f)), f].join(' -> '));
        return;
      }
      state.set(f, 'open');
      for (const g of graph.get(f) ?? []) visit(g, [...path, f]);
      state.set(f, 'done');
    };
    for (const f of files) visit(f, []);
    expect(circles).toEqual([]);
  });

  it('keep every file under 400 lines', () => {
    const long = files.filter((f) => readFileSync(join(DIR, f), 'utf8').split('\n').length > 400);
    expect(long).toEqual([]);
  });
});
