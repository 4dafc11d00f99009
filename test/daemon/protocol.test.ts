// The clamd protocol over real sockets (TCP on 127.0.0.1 and a Unix socket), replies as clamd
// 1.4.6 gives them (recorded from Debian's clamd; clamdscan.test.ts compares live).
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ask, chunk, EICAR, EICAR_SIGNATURE, exchange, instream, lengthField, makeFixture, MARKER_SIGNATURE, startDaemon, type Fixture, type TestDaemon } from './daemon-helpers.js';

let fx: Fixture;
let d: TestDaemon;
let tcp: { port: number };
let unix: { path: string };

beforeAll(async () => {
  fx = makeFixture();
  d = await startDaemon(fx, { streamMaxLength: 64 * 1024 });
  tcp = { port: d.port };
  unix = { path: d.socketPath };
});

afterAll(async () => {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unassigned when beforeAll failed
  await d?.stop();
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unassigned when beforeAll failed
  fx?.cleanup();
});

describe('command framing', () => {
  it.each([
    ['zPING\0', 'PONG\0'],
    ['nPING\n', 'PONG\n'],
    ['PING\n', 'PONG\n'],
    ['PING', 'PONG\n'],
    ['PING\0', 'PONG\n'],
    ['nPING\r\n', 'PONG\n'],
    ['nPING \n', 'UNKNOWN COMMAND\n'],
    ['nping\n', 'UNKNOWN COMMAND\n'],
    ['xPING\n', 'UNKNOWN COMMAND\n'],
    ['zFOO\0', 'UNKNOWN COMMAND\0'],
    ['\n', 'UNKNOWN COMMAND\n'],
    ['\0', 'UNKNOWN COMMAND\n'],
    ['z\0', 'UNKNOWN COMMAND\0'],
    ['nVERSION extra\n', 'UNKNOWN COMMAND\n'],
    ['nSCAN\n', 'UNKNOWN COMMAND\n'],
    ['VERSIONCOMMANDS\n', 'UNKNOWN COMMAND\n'],
    ['ALLMATCHSCAN /x\n', 'UNKNOWN COMMAND\n'],
    ['INSTREAM\n', 'UNKNOWN COMMAND\n'],
    ['IDSESSION\n', 'UNKNOWN COMMAND\n'],
    ['STATS\n', 'UNKNOWN COMMAND\n'],
    ['nEND\n', 'UNKNOWN COMMAND\n'],
    ['nFILDES\n', 'UNKNOWN COMMAND\n'],
    ['nSTREAM\n', 'UNKNOWN COMMAND\n'],
    ['nSESSION\n', 'UNKNOWN COMMAND\n'],
    ['nDETSTATS\n', ''],
  ])('%j gets %j and the connection closes', async (command, reply) => {
    const r = await exchange(tcp, [command]);
    expect(r.reply).toBe(reply);
    expect(r.closed).toBe(true);
  });

  it('answers on the Unix socket as on TCP', async () => {
    expect(await ask(unix, 'zPING\0')).toBe('PONG\0');
    expect(await ask(unix, `nSCAN ${fx.files}/eicar.com\n`)).toBe(`${fx.files}/eicar.com: ${EICAR_SIGNATURE} FOUND\n`);
  });

  it('VERSION and VERSIONCOMMANDS name Vigil and the commands it serves', async () => {
    expect(await ask(tcp, 'nVERSION\n')).toMatch(/^Vigil test\/\d+\/\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\n$/);
    const vc = await ask(tcp, 'nVERSIONCOMMANDS\n');
    expect(vc).toMatch(/\| COMMANDS: SCAN .*INSTREAM.*ALLMATCHSCAN\n$/);
    expect(vc).not.toContain('FILDES');
  });

  it('STATS replies in clamd layout, ended by END', async () => {
    const r = await ask(tcp, 'zSTATS\0');
    expect(r).toMatch(/^POOLS: 1\n\nSTATE: VALID PRIMARY\nTHREADS: live \d+ {2}idle \d+ max 10 idle-timeout 30\nQUEUE: 0 items\n/);
    expect(r.endsWith('\nEND\0')).toBe(true);
  });
});

describe('SCAN, CONTSCAN, MULTISCAN, ALLMATCHSCAN', () => {
  it('reports an infected file, a clean file and an empty file', async () => {
    expect(await ask(tcp, `zSCAN ${fx.files}/eicar.com\0`)).toBe(`${fx.files}/eicar.com: ${EICAR_SIGNATURE} FOUND\0`);
    expect(await ask(tcp, `nSCAN ${fx.files}/clean.txt\n`)).toBe(`${fx.files}/clean.txt: OK\n`);
    expect(await ask(tcp, `SCAN ${fx.root}/clean/empty.txt\n`)).toBe(`${fx.root}/clean/empty.txt: OK\n`);
  });

  it('reports a missing path as clamd does', async () => {
    expect(await ask(tcp, 'nSCAN /no/such/file\n')).toBe('/no/such/file: File path check failure: No such file or directory. ERROR\n');
    expect(await ask(tcp, 'nSCAN \n')).toBe(': File path check failure: No such file or directory. ERROR\n');
  });

  it('reports a clean folder as OK and stops SCAN at the first infected file', async () => {
    expect(await ask(tcp, `nCONTSCAN ${fx.root}/clean\n`)).toBe(`${fx.root}/clean: OK\n`);
    const r = await ask(tcp, `nSCAN ${fx.root}/tree\n`);
    expect(r.trimEnd().split('\n')).toHaveLength(1);
    expect(r).toMatch(/FOUND\n$/);
  });

  it('CONTSCAN and MULTISCAN report every infected file of a tree', async () => {
    const expected = [`${fx.root}/tree/inner/e.com: ${EICAR_SIGNATURE} FOUND`, `${fx.root}/tree/m.txt: ${MARKER_SIGNATURE} FOUND`];
    for (const cmd of ['CONTSCAN', 'MULTISCAN']) {
      const lines = (await ask(tcp, `z${cmd} ${fx.root}/tree\0`)).split('\0').filter(Boolean);
      expect(lines.sort()).toEqual(expected);
    }
  });

  it('ALLMATCHSCAN reports every signature of a file, one line each', async () => {
    const r = await ask(tcp, `nALLMATCHSCAN ${fx.files}/both.txt\n`);
    expect(r.split('\n').filter(Boolean).sort()).toEqual([`${fx.files}/both.txt: Vigil.Test.Marker.UNOFFICIAL FOUND`, `${fx.files}/both.txt: Vigil.Test.Marker2.UNOFFICIAL FOUND`]);
    expect((await ask(tcp, `nSCAN ${fx.files}/both.txt\n`)).split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('joins a folder given with a trailing slash without doubling it', async () => {
    expect(await ask(tcp, `nCONTSCAN ${fx.root}/tree/inner/\n`)).toBe(`${fx.root}/tree/inner/e.com: ${EICAR_SIGNATURE} FOUND\n`);
  });
});

describe('INSTREAM', () => {
  it('finds EICAR in one chunk and split across chunks', async () => {
    expect(await ask(tcp, instream(EICAR))).toBe(`stream: ${EICAR_SIGNATURE} FOUND\0`);
    expect(await ask(tcp, instream(EICAR, 7, 'n'))).toBe(`stream: ${EICAR_SIGNATURE} FOUND\n`);
  });

  it('answers OK for clean data and for an empty stream', async () => {
    expect(await ask(tcp, instream('hello clean world'))).toBe('stream: OK\0');
    expect(await ask(tcp, 'nINSTREAM\n', lengthField(0))).toBe('stream: OK\n');
  });

  it('accepts exactly StreamMaxLength bytes and refuses one more', async () => {
    expect(await ask(tcp, instream(Buffer.alloc(64 * 1024, 0x61), 10_000))).toBe('stream: OK\0');
    const r = await exchange(tcp, [instream(Buffer.alloc(64 * 1024 + 1, 0x61), 10_000)]);
    expect(r.reply).toBe('INSTREAM size limit exceeded. ERROR\0');
    expect(r.closed).toBe(true);
  });

  it('refuses a declared chunk length past the limit before any data arrives', async () => {
    const r = await exchange(tcp, ['nINSTREAM\n', lengthField(0xffffffff)]);
    expect(r.reply).toBe('INSTREAM size limit exceeded. ERROR\n');
    expect(r.closed).toBe(true);
  });
});

describe('IDSESSION', () => {
  it('numbers replies, serves several commands and ends at END', async () => {
    const r = await exchange(tcp, ['zIDSESSION\0', 'zPING\0', `zSCAN ${fx.files}/eicar.com\0`, instream(EICAR).subarray(0), 'zVERSION\0', { pause: 200 }, 'zEND\0']);
    expect(r.closed).toBe(true);
    const replies = r.reply.split('\0').filter(Boolean).sort();
    expect(replies[0]).toBe('1: PONG');
    expect(replies[1]).toBe(`2: ${fx.files}/eicar.com: ${EICAR_SIGNATURE} FOUND`);
    expect(replies[2]).toBe(`3: stream: ${EICAR_SIGNATURE} FOUND`);
    expect(replies[3]).toMatch(/^4: Vigil test\//);
  });

  it('sends every pending reply before closing on END', async () => {
    const r = await exchange(tcp, ['nIDSESSION\n', `nSCAN ${fx.files}/marker.txt\n`, 'nEND\n']);
    expect(r.reply).toBe(`1: ${fx.files}/marker.txt: ${MARKER_SIGNATURE} FOUND\n`);
  });

  it('treats the client closing its side as END', async () => {
    const r = await exchange(tcp, ['nIDSESSION\n', 'nPING\n', 'end']);
    expect(r.reply).toBe('1: PONG\n');
    expect(r.closed).toBe(true);
  });

  it('refuses bare commands and commands not allowed in a session, as clamd', async () => {
    expect(await ask(tcp, 'nIDSESSION\n', 'PING\n')).toBe('1: Only nCMDS\\n and zCMDS\\0 are accepted inside IDSESSION. ERROR\n1: Error processing command. ERROR\n');
    for (const cmd of [`nCONTSCAN ${fx.files}\n`, `nMULTISCAN ${fx.files}\n`, `nALLMATCHSCAN ${fx.files}\n`, 'nRELOAD\n', 'nSHUTDOWN\n', 'nIDSESSION\n', 'nFOO\n']) {
      expect(await ask(tcp, 'nIDSESSION\n', 'nPING\n', { pause: 50 }, cmd)).toBe('1: PONG\n2: Command invalid inside IDSESSION. ERROR\n');
    }
  });

  it('applies StreamMaxLength inside a session', async () => {
    expect(await ask(tcp, 'nIDSESSION\n', 'nPING\n', 'nINSTREAM\n', lengthField(1 << 30))).toBe('1: PONG\n2: INSTREAM size limit exceeded. ERROR\n');
  });

  it('runs a stream between other commands of the session', async () => {
    const r = await exchange(tcp, ['zIDSESSION\0', 'zINSTREAM\0', chunk('clean '), chunk('bytes'), lengthField(0), 'zINSTREAM\0', chunk(EICAR), lengthField(0), 'zPING\0', 'zEND\0']);
    expect(r.reply.split('\0').filter(Boolean).sort()).toEqual(['1: stream: OK', `2: stream: ${EICAR_SIGNATURE} FOUND`, '3: PONG']);
  });
});

describe('commands switched off in clamd.conf', () => {
  it('answers COMMAND UNAVAILABLE', async () => {
    const fx2 = makeFixture();
    const d2 = await startDaemon(fx2, { enableVersion: false, enableStats: false, enableReload: false, enableShutdown: false, localSocket: join(fx2.root, 's.sock') });
    try {
      for (const cmd of ['nVERSION\n', 'nSTATS\n', 'nRELOAD\n', 'nSHUTDOWN\n']) expect(await ask({ port: d2.port }, cmd)).toBe('COMMAND UNAVAILABLE\n');
      expect(await ask({ port: d2.port }, 'nPING\n')).toBe('PONG\n');
    } finally {
      await d2.stop();
      fx2.cleanup();
    }
  });
});
