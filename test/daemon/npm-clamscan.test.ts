// The npm `clamscan` package (NodeClam), a widely used clamd client, against Vigil's daemon and
// Debian's clamd on the same database: in TCP mode (streams every file with INSTREAM) and over the
// Unix socket (bare `SCAN path` and `CONTSCAN`/`MULTISCAN`). Every answer must be the same from
// both daemons, apart from the version text.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasClamd, startClamd, type RealClamd } from '../helpers/clamd.js';
import { EICAR, makeFixture, MARKER, startDaemon, type Fixture, type TestDaemon } from './daemon-helpers.js';

const NodeClam = createRequire(import.meta.url)('clamscan') as new () => { init(options: object): Promise<NodeClamClient> };
interface NodeClamClient {
  getVersion(): Promise<string>;
  isInfected(file: string): Promise<{ file: string; isInfected: boolean | null; viruses: string[] }>;
  scanStream(stream: Readable): Promise<{ isInfected: boolean | null; viruses: string[] }>;
  scanDir(path: string): Promise<{ path: string; isInfected: boolean; goodFiles: string[]; badFiles: string[]; viruses: string[] }>;
}

const skip = hasClamd() || process.env.CI ? false : 'clamd (Debian package clamav-daemon) is not installed';

async function client(where: { port: number } | { socket: string }, multiscan = false): Promise<NodeClamClient> {
  return new NodeClam().init({
    removeInfected: false,
    debugMode: false,
    scanRecursively: true,
    clamscan: { active: false },
    clamdscan: { ...('port' in where ? { host: '127.0.0.1', port: where.port, socket: null } : { socket: where.socket }), timeout: 20_000, localFallback: false, active: true, multiscan, bypassTest: false },
    preference: 'clamdscan',
  });
}

/** What NodeClam reports for the fixture, in a form both daemons must give identically. */
async function observe(c: NodeClamClient, fx: Fixture, withDir: boolean) {
  const files = ['eicar.com', 'clean.txt', 'marker.txt'];
  const out: Record<string, unknown> = {};
  for (const f of files) {
    const r = await c.isInfected(join(fx.files, f));
    out[f] = { isInfected: r.isInfected, viruses: [...r.viruses].sort() };
  }
  const streamed = await c.scanStream(Readable.from([Buffer.from('x'.repeat(70_000)), Buffer.from(MARKER), Buffer.from('tail')]));
  out['stream'] = { isInfected: streamed.isInfected, viruses: streamed.viruses };
  out['eicar stream'] = await c.scanStream(Readable.from([Buffer.from(EICAR)])).then((r) => ({ isInfected: r.isInfected, viruses: r.viruses }));
  if (withDir) {
    const d = await c.scanDir(join(fx.root, 'tree'));
    out['dir'] = { isInfected: d.isInfected, bad: [...d.badFiles].map((p) => p.replace(fx.root, '<root>')).sort(), viruses: [...new Set(d.viruses)].sort() };
  }
  return out;
}

describe.skipIf(skip !== false)('npm clamscan package against vigil daemon and clamd', () => {
  let fx: Fixture;
  let vigil: TestDaemon;
  let clamd: RealClamd;
  beforeAll(async () => {
    fx = makeFixture();
    vigil = await startDaemon(fx);
    clamd = await startClamd(fx.db);
  }, 90_000);
  afterAll(async () => {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unassigned when beforeAll failed
    await vigil?.stop();
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unassigned when beforeAll failed
    await clamd?.stop();
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unassigned when beforeAll failed
    fx?.cleanup();
  });

  it('TCP mode: versions, files (streamed), streams and a folder give the same answers', async () => {
    const v = await client({ port: vigil.port });
    const c = await client({ port: clamd.port });
    expect(await v.getVersion()).toMatch(/^Vigil /);
    expect(await c.getVersion()).toMatch(/^ClamAV /);
    const fromVigil = await observe(v, fx, true);
    expect(fromVigil['eicar.com']).toEqual({ isInfected: true, viruses: ['Eicar-Signature.UNOFFICIAL'] });
    expect(fromVigil['clean.txt']).toEqual({ isInfected: false, viruses: [] });
    expect(fromVigil['stream']).toEqual({ isInfected: true, viruses: ['Vigil.Test.Marker.UNOFFICIAL'] });
    expect(fromVigil).toEqual(await observe(c, fx, true));
  }, 60_000);

  it('Unix socket mode (bare SCAN, CONTSCAN and MULTISCAN) gives the same answers', async () => {
    for (const multiscan of [false, true]) {
      const fromVigil = await observe(await client({ socket: vigil.socketPath }, multiscan), fx, true);
      expect(fromVigil['marker.txt']).toEqual({ isInfected: true, viruses: ['Vigil.Test.Marker.UNOFFICIAL'] });
      expect(fromVigil).toEqual(await observe(await client({ socket: clamd.socketPath }, multiscan), fx, true));
    }
  }, 60_000);
});
