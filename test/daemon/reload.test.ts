// RELOAD swaps the database without failing requests in flight; a failed reload keeps the old one.
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ask, chunk, EICAR, EICAR_SIGNATURE, exchange, LATE, LATE_SIGNATURE, lengthField, makeFixture, open, startDaemon, type Fixture, type TestDaemon } from './daemon-helpers.js';

let fx: Fixture;
let d: TestDaemon;

beforeEach(async () => {
  fx = makeFixture();
  d = await startDaemon(fx);
});

afterEach(async () => {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unassigned when beforeEach failed
  await d?.stop();
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unassigned when beforeEach failed
  fx?.cleanup();
});

async function untilLogged(text: string): Promise<void> {
  const until = performance.now() + 5000;
  while (!d.logLines.some((l) => l.includes(text)) && performance.now() < until) await new Promise((r) => setTimeout(r, 20));
  expect(d.logLines.some((l) => l.includes(text))).toBe(true);
}

describe('RELOAD', () => {
  it('loads new signatures, while a stream started before it finishes normally', async () => {
    const tcp = { port: d.port };
    const late = Buffer.from(`xx ${LATE} xx`);
    expect(await ask(tcp, 'zINSTREAM\0', chunk(late), lengthField(0))).toBe('stream: OK\0');
    // A stream is in progress across the reload.
    const s = open(tcp);
    const reply = new Promise<string>((resolve) => {
      const parts: Buffer[] = [];
      s.on('data', (b) => parts.push(b));
      s.on('close', () => resolve(Buffer.concat(parts).toString('latin1')));
    });
    await new Promise((r) => s.once('connect', r));
    s.write(Buffer.concat([Buffer.from('zINSTREAM\0'), chunk(EICAR.slice(0, 20))]));
    appendFileSync(join(fx.db, 'test.ndb'), `Vigil.Test.Late:0:*:${Buffer.from(LATE).toString('hex')}\n`);
    expect(await ask(tcp, 'zRELOAD\0')).toBe('RELOADING\0');
    await untilLogged('Database correctly reloaded');
    s.write(Buffer.concat([chunk(EICAR.slice(20)), lengthField(0)]));
    expect(await reply).toBe(`stream: ${EICAR_SIGNATURE} FOUND\0`);
    expect(await ask(tcp, 'zINSTREAM\0', chunk(late), lengthField(0))).toBe(`stream: ${LATE_SIGNATURE} FOUND\0`);
  });

  it('keeps the old database, and says why, when the new one is broken', async () => {
    writeFileSync(join(fx.db, 'broken.ndb'), 'Broken:0:*:zz-not-hex\n');
    const r = await exchange({ port: d.port }, ['nRELOAD\n']);
    expect(r.reply).toBe('RELOADING\n');
    await untilLogged('Database reload failed, keeping the old database');
    expect(d.logLines.some((l) => l.includes('broken.ndb:1'))).toBe(true);
    expect(await ask({ port: d.port }, `zSCAN ${fx.files}/eicar.com\0`)).toBe(`${fx.files}/eicar.com: ${EICAR_SIGNATURE} FOUND\0`);
  });

  it('SHUTDOWN stops the daemon and removes its socket file', async () => {
    const { existsSync } = await import('node:fs');
    expect(existsSync(d.socketPath)).toBe(true);
    expect((await exchange({ path: d.socketPath }, ['zSHUTDOWN\0'])).reply).toBe('');
    await d.daemon.stopped;
    expect(existsSync(d.socketPath)).toBe(false);
  });
});
