// Long INSTREAM data goes to the worker pool through a private spool file, which is removed after
// the scan; short streams are scanned from memory. Both give clamd's answers. Worker threads run
// compiled code, so this test drives the daemon from dist/ (built by npm test's setup).
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClamdDaemon } from '../../src/agent/daemon/index.js';
import { ClamdClient } from '../../src/agent/clamd-client.js';
import { EICAR, makeFixture, MARKER, type Fixture } from './daemon-helpers.js';

// The daemon spools into os.tmpdir(): a private one for this file, so other test files' folders do not count.
const privateTmp = mkdtempSync(join(tmpdir(), 'vigil-spool-test-'));
const savedTmp = process.env.TMPDIR;
process.env.TMPDIR = privateTmp;
const spools = () => readdirSync(privateTmp).filter((n) => n.startsWith('vigil-daemon-streams-'));

describe('INSTREAM spooling', () => {
  let fx: Fixture;
  let daemon: ClamdDaemon;
  let client: ClamdClient;
  const before = new Set<string>();
  beforeAll(async () => {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- widened so that TypeScript types the built module as its source
    const { ClamdDaemon, DaemonLog, defaultSettings } = (await import('../../dist/agent/daemon/index.js' as string)) as typeof import('../../src/agent/daemon/index.js');
    fx = makeFixture();
    const settings = { ...defaultSettings(), tcpPort: 0, databases: [fx.db], cacheDir: false as const, maxThreads: 2 };
    daemon = await ClamdDaemon.start({ settings, version: 'test', workerThreads: 2, log: new DaemonLog({ file: null, time: false, verbose: false, write: () => undefined }) });
    client = new ClamdClient({ port: daemon.addresses.find((a) => a.kind === 'tcp')!.port!, timeoutMs: 30_000 });
  }, 60_000);
  afterAll(async () => {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unassigned when beforeAll failed
    await daemon?.shutdown();
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unassigned when beforeAll failed
    fx?.cleanup();
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
    rmSync(privateTmp, { recursive: true, force: true });
  });

  it('finds signatures at the end of long streams on the workers, many at once, and leaves no spool file', async () => {
    const long = (tail: string) => Buffer.concat([Buffer.alloc(3 * 1024 * 1024, 'a'), Buffer.from(tail)]);
    const answers = await Promise.all([
      client.scanBuffer(long(` ${MARKER} `)),
      client.scanBuffer(long('nothing at the end')),
      client.scanBuffer(long(` ${MARKER}`)),
      client.scanBuffer(Buffer.from(EICAR)),
      client.scanBuffer(Buffer.from(`short ${MARKER}`)),
    ]);
    expect(answers.map((a) => a.reply)).toEqual([
      'stream: Vigil.Test.Marker.UNOFFICIAL FOUND',
      'stream: OK',
      'stream: Vigil.Test.Marker.UNOFFICIAL FOUND',
      'stream: Eicar-Signature.UNOFFICIAL FOUND',
      'stream: Vigil.Test.Marker.UNOFFICIAL FOUND',
    ]);
    const mine = spools().filter((n) => !before.has(n));
    expect(mine).toHaveLength(1);
    expect(readdirSync(join(privateTmp, mine[0]!))).toEqual([]);
    await daemon.shutdown();
    expect(spools().filter((n) => !before.has(n))).toEqual([]);
  }, 60_000);
});
