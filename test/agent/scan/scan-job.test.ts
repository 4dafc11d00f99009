// The scan job: the walk with the settings' exclusions and links, files scanned on the pool or
// here by the one POOL_MIN_FILE_SIZE, results in walk order.
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultScanSettings, POOL_MIN_FILE_SIZE, ScanJob, scansInPool, wantsPool, type ScanJobEvent } from '../../../src/agent/scan/index.js';
import { openDatabase } from '../../../src/engine/index.js';
import { EICAR, tempDir } from '../../helpers/cli.js';
import { buildTar, gzip } from '../../engine/containers/samples.js';

const tmp = tempDir('vigil-scan-job-');
afterAll(() => tmp.cleanup());
const root = join(tmp.path, 'tree');
mkdirSync(join(root, 'sub', 'skipped'), { recursive: true });
writeFileSync(join(root, 'a.com'), EICAR);
writeFileSync(join(root, 'b.txt'), 'clean');
writeFileSync(join(root, 'empty'), '');
writeFileSync(join(root, 'sub', 'c.log'), EICAR);
writeFileSync(join(root, 'sub', 'skipped', 'd.com'), EICAR);
writeFileSync(join(root, 'nested.tar.gz'), gzip(buildTar([{ name: 'inner/x.com', data: Buffer.from(EICAR) }])));
symlinkSync(join(root, 'a.com'), join(root, 'sub', 'link'));

function describeEvent(ev: ScanJobEvent): string {
  if (ev.kind !== 'file') return `${ev.kind} ${ev.path.slice(root.length + 1)}`;
  const r = ev.outcome.ok ? (ev.outcome.result.infected ? ev.outcome.result.findings.map((f) => f.signature).join(',') : 'OK') : `error ${ev.outcome.code}`;
  return `file ${ev.path.slice(root.length + 1)} ${r}`;
}

async function run(settings = defaultScanSettings(), recursive = true): Promise<string[]> {
  const image = openDatabase([], { cacheDir: false }).bytes;
  const job = await ScanJob.start({ image, settings, workers: 0 });
  const out: string[] = [];
  try {
    for await (const ev of job.scan(job.walk([root], recursive))) out.push(describeEvent(ev));
  } finally {
    await job.close();
  }
  return out;
}

describe('ScanJob', () => {
  it('walks and scans in walk order, with the default settings', async () => {
    expect(await run()).toEqual([
      'directory ',
      'file a.com Win.Test.EICAR_HDB-1',
      'file b.txt OK',
      'empty empty',
      'file nested.tar.gz Win.Test.EICAR_HDB-1',
      'directory sub',
      'file sub/c.log Win.Test.EICAR_HDB-1',
      'symlink sub/link',
      'directory sub/skipped',
      'file sub/skipped/d.com Win.Test.EICAR_HDB-1',
    ]);
  });

  it('applies the exclusions, link levels, limits and alerts of its settings', async () => {
    const settings = { ...defaultScanSettings(), excludePaths: [/\.log$/], excludeDirs: [/skipped$/], followFileSymlinks: 2 as const, maxRecursion: 2, alertExceedsMax: true };
    expect(await run(settings)).toEqual([
      'directory ',
      'file a.com Win.Test.EICAR_HDB-1',
      'file b.txt OK',
      'empty empty',
      'file nested.tar.gz Heuristics.Limits.Exceeded.MaxRecursion',
      'directory sub',
      'excluded sub/c.log',
      'file sub/link Win.Test.EICAR_HDB-1',
      'excluded sub/skipped',
    ]);
  });

  it('enters sub-folders only when recursive', async () => {
    expect((await run(defaultScanSettings(), false)).filter((l) => l.includes('sub'))).toEqual([]);
  });

  it('sends only files of POOL_MIN_FILE_SIZE or more to a pool, and wants a pool only for folders or several paths', async () => {
    expect(POOL_MIN_FILE_SIZE).toBe(256 * 1024);
    expect(scansInPool(POOL_MIN_FILE_SIZE - 1, 4)).toBe(false);
    expect(scansInPool(POOL_MIN_FILE_SIZE, 4)).toBe(true);
    expect(scansInPool(10 * POOL_MIN_FILE_SIZE, 0)).toBe(false);
    expect(await wantsPool([join(root, 'a.com')], 4)).toBe(false);
    expect(await wantsPool([root], 4)).toBe(true);
    expect(await wantsPool([root], 1)).toBe(false);
    expect(await wantsPool([join(root, 'a.com'), join(root, 'b.txt')], 2)).toBe(true);
  });
});
