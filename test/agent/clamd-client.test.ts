/**
 * The clamd protocol client against both daemons it is for: Vigil's own (`vigil daemon`, in
 * process) and Debian's clamd, with the same database: PING, VERSION, INSTREAM verdicts, streams
 * larger than one chunk, the size limit, and a daemon that is not there or does not answer.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClamdClient, ClamdError, readScanReply } from '../../src/agent/clamd-client.js';
import { ClamdDaemon, DaemonLog, defaultSettings } from '../../src/agent/daemon/index.js';
import { EICAR } from '../helpers/cli.js';
import { freePort, hasClamd, startClamd, type RealClamd } from '../helpers/clamd.js';

const MARKER = 'VIGIL-CLIENT-TEST-MARKER';
const dbDir = mkdtempSync(join(tmpdir(), 'vigil-client-db-'));
writeFileSync(join(dbDir, 'test.hdb'), `${createHash('md5').update(EICAR).digest('hex')}:${EICAR.length}:Eicar-Signature\n`);
writeFileSync(join(dbDir, 'test.ndb'), `Vigil.Test.Marker:0:*:${Buffer.from(MARKER).toString('hex')}\n`);
afterAll(() => rmSync(dbDir, { recursive: true, force: true }));

/** 3 MiB of filler with the marker across the boundary of two 64 KiB chunks. */
function bigWithMarker(): Buffer {
  const big = Buffer.alloc(3 * 1024 * 1024, 'a');
  big.write(MARKER, 65536 - 10);
  return big;
}

const peers: { name: string; start(): Promise<{ port: number; socketPath: string; stop(): Promise<void> }>; versionPattern: RegExp; skip: string | false }[] = [
  {
    name: 'vigil daemon',
    versionPattern: /^Vigil /,
    skip: false,
    async start() {
      const socketPath = join(mkdtempSync(join(tmpdir(), 'vigil-client-sock-')), 'vigil.sock');
      const settings = { ...defaultSettings(), tcpPort: 0, localSocket: socketPath, databases: [dbDir], cacheDir: false as const, streamMaxLength: 4 * 1024 * 1024 };
      const daemon = await ClamdDaemon.start({ settings, version: '0.0.0-test', workerThreads: 0, log: new DaemonLog({ file: null, time: false, verbose: false, write: () => undefined }) });
      const port = daemon.addresses.find((a) => a.kind === 'tcp')!.port!;
      return { port, socketPath, stop: () => daemon.shutdown() };
    },
  },
  {
    name: 'clamd',
    versionPattern: /^ClamAV \d/,
    skip: hasClamd() ? false : process.env.CI ? false : 'clamd (Debian package clamav-daemon) is not installed',
    async start() {
      const real: RealClamd = await startClamd(dbDir, ['StreamMaxLength 4M']);
      return real;
    },
  },
];

for (const peer of peers) {
  describe.skipIf(peer.skip !== false)(`ClamdClient against ${peer.name}`, () => {
    let target: { port: number; socketPath: string; stop(): Promise<void> } | undefined; // undefined when the peer failed to start
    beforeAll(async () => {
      target = await peer.start();
    }, 90_000);
    afterAll(async () => {
      await target?.stop();
    });
    const tcp = () => new ClamdClient({ host: '127.0.0.1', port: target!.port, timeoutMs: 20_000 });

    it('answers PING and VERSION over TCP and the Unix socket', async () => {
      expect(await tcp().ping()).toBe(true);
      expect(await new ClamdClient({ socketPath: target!.socketPath }).ping()).toBe(true);
      expect(await tcp().version()).toMatch(peer.versionPattern);
    });

    it('scans buffers and streams with INSTREAM', async () => {
      expect(await tcp().scanBuffer(Buffer.from(EICAR))).toEqual({ verdict: 'infected', signature: 'Eicar-Signature.UNOFFICIAL', reply: 'stream: Eicar-Signature.UNOFFICIAL FOUND' });
      expect(await tcp().scanBuffer(Buffer.from('a clean upload'))).toEqual({ verdict: 'clean', signature: null, reply: 'stream: OK' });
      const r = await new ClamdClient({ socketPath: target!.socketPath }).scanStream(Readable.from([bigWithMarker()]));
      expect(r.signature).toBe('Vigil.Test.Marker.UNOFFICIAL');
      // Many small pieces, strings among them.
      const pieces = ['before ', ...MARKER.split(''), ' after'];
      expect((await tcp().scanStream(Readable.from(pieces))).signature).toBe('Vigil.Test.Marker.UNOFFICIAL');
      expect((await tcp().scanStream(Readable.from([]))).verdict).toBe('clean');
    });

    it('stops sending and reports SIZE_LIMIT past StreamMaxLength', async () => {
      const tooBig = Readable.from((function* () {
        for (let i = 0; i < 200; i++) yield Buffer.alloc(64 * 1024, 'b'); // 12.5 MiB against a 4 MiB limit
      })());
      const e = await tcp().scanStream(tooBig).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(ClamdError);
      // clamd closes with the rest of the stream unread: the reset may destroy its answer before it is read (CLOSED).
      if (peer.name === 'clamd' && (e as ClamdError).code === 'CLOSED') expect((e as ClamdError).message).toMatch(/StreamMaxLength/);
      else {
        expect((e as ClamdError).code).toBe('SIZE_LIMIT');
        expect((e as ClamdError).message).toContain('INSTREAM size limit exceeded');
      }
      // and the daemon still serves
      expect(await tcp().ping()).toBe(true);
    });
  });
}

describe('ClamdClient failures', () => {
  let silent: Server;
  let silentPort: number;
  const accepted: Socket[] = [];
  beforeAll(async () => {
    // Accepts and never answers.
    silent = createServer((socket) => {
      accepted.push(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    silentPort = (silent.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const socket of accepted) socket.destroy();
    await new Promise<void>((r) => silent.close(() => r()));
  });

  it('says UNREACHABLE when nothing listens', async () => {
    const port = await freePort();
    const e = await new ClamdClient({ port }).ping().catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'UNREACHABLE' });
    expect((e as Error).message).toContain(`127.0.0.1:${port}`);
  });

  it('says TIMEOUT when the daemon does not answer', async () => {
    const e = await new ClamdClient({ port: silentPort, timeoutMs: 300 }).scanBuffer(Buffer.from('x')).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'TIMEOUT' });
  });

  it('reads the answers of INSTREAM strictly', () => {
    expect(readScanReply('stream: OK').verdict).toBe('clean');
    expect(readScanReply('7: stream: Win.Test FOUND')).toMatchObject({ verdict: 'infected', signature: 'Win.Test' });
    expect(() => readScanReply('stream: lstat() failed. ERROR')).toThrow(expect.objectContaining({ code: 'SERVER_ERROR' }));
    expect(() => readScanReply('PONG')).toThrow(expect.objectContaining({ code: 'PROTOCOL' }));
    expect(() => readScanReply('')).toThrow(expect.objectContaining({ code: 'PROTOCOL' }));
  });

  it('refuses nonsense options', () => {
    expect(() => new ClamdClient({ timeoutMs: 0 })).toThrow(RangeError);
    expect(() => new ClamdClient({ chunkBytes: 1.5 })).toThrow(RangeError);
  });
});
