// Hostile clients: garbage, oversized command lines, stalls, disconnects in the middle of a stream,
// INSTREAM past the limit, truncated chunks, too many connections. Each case runs beside
// well-behaved clients, which must get their normal answers.
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frameCommand, COMMAND_MAX_BYTES } from '../../src/agent/daemon/index.js';
import { ask, chunk, EICAR, EICAR_SIGNATURE, exchange, instream, lengthField, makeFixture, open, startDaemon, type Fixture, type Step, type TestDaemon } from './daemon-helpers.js';

let fx: Fixture;
let d: TestDaemon;
let tcp: { port: number };

beforeAll(async () => {
  fx = makeFixture();
  d = await startDaemon(fx, { streamMaxLength: 256 * 1024, commandReadTimeoutMs: 400, readTimeoutMs: 600, maxConnections: 40 });
  tcp = { port: d.port };
});

afterAll(async () => {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unassigned when beforeAll failed
  await d?.stop();
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unassigned when beforeAll failed
  fx?.cleanup();
});

/** Well-behaved clients, run while the hostile ones are connected. */
async function goodClientsAreServed(): Promise<void> {
  const [ping, scan, stream] = await Promise.all([
    ask(tcp, 'zPING\0'),
    ask({ path: d.socketPath }, `zSCAN ${fx.files}/eicar.com\0`),
    ask(tcp, instream(EICAR, 5)),
  ]);
  expect(ping).toBe('PONG\0');
  expect(scan).toBe(`${fx.files}/eicar.com: ${EICAR_SIGNATURE} FOUND\0`);
  expect(stream).toBe(`stream: ${EICAR_SIGNATURE} FOUND\0`);
}

/** Runs hostile exchanges and, meanwhile, good clients; returns the hostile results. */
async function beside(hostile: Step[][], waitMs = 3000) {
  const running = hostile.map((steps) => exchange(tcp, steps, waitMs));
  await goodClientsAreServed();
  return Promise.all(running);
}

describe('garbage and oversized input', () => {
  it('answers random bytes with UNKNOWN COMMAND or closes, and keeps serving others', async () => {
    const garbage = Array.from({ length: 8 }, (_, i) => [Buffer.concat([Buffer.from([0x41 + i]), randomBytes(300)])]);
    const results = await beside(garbage);
    for (const r of results) {
      expect(r.closed).toBe(true);
      expect(['UNKNOWN COMMAND\n', '']).toContain(r.reply);
    }
  });

  it('closes without a reply on a prefixed command line past the limit, as clamd', async () => {
    const results = await beside([[`nSCAN /${'a'.repeat(COMMAND_MAX_BYTES)}\n`], [`zPING${' '.repeat(100_000)}`], [Buffer.alloc(1 << 20, 0x6e)]]);
    for (const r of results) expect(r).toMatchObject({ reply: '', closed: true });
  });

  it('takes a long bare line as one unknown command', async () => {
    const [r] = await beside([['x'.repeat(100_000)]]);
    expect(r).toMatchObject({ reply: 'UNKNOWN COMMAND\n', closed: true });
  });

  it('never returns more than one command per frame and never reads past the line limit (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 6000 }), fc.boolean(), (bytes, flush) => {
        const f = frameCommand(bytes, flush);
        if (f.kind === 'command') {
          expect(f.command.consumed).toBeGreaterThan(0);
          expect(f.command.consumed).toBeLessThanOrEqual(Math.min(bytes.length, COMMAND_MAX_BYTES));
        }
        if (f.kind === 'incomplete') expect(bytes.length).toBeLessThan(COMMAND_MAX_BYTES);
      }),
      { numRuns: 300 },
    );
  });
});

describe('stalled clients', () => {
  it('times out a client that sends nothing, or half a command, with COMMAND READ TIMED OUT', async () => {
    const results = await beside([[], ['nPI'], ['zSCAN /tm']]);
    for (const r of results) {
      expect(r).toMatchObject({ reply: 'COMMAND READ TIMED OUT\n', closed: true });
      expect(r.ms).toBeGreaterThanOrEqual(350);
    }
  });

  it('times out a client that trickles a command byte by byte (the timer is not reset by data)', async () => {
    const steps: Step[] = [];
    for (const c of 'nSCAN /some/long/path/that/never/ends') steps.push(c, { pause: 40 });
    const [r] = await beside([steps]);
    expect(r!.reply).toBe('COMMAND READ TIMED OUT\n');
    expect(r!.ms).toBeLessThan(1000);
  });

  it('times out a stream that stops in the middle of a chunk, and an idle session', async () => {
    const results = await beside([['zINSTREAM\0', lengthField(1000), 'abc'], ['nINSTREAM\n', chunk('abc')], ['nIDSESSION\n', 'nPING\n']]);
    expect(results[0]).toMatchObject({ reply: 'COMMAND READ TIMED OUT\n', closed: true });
    expect(results[1]).toMatchObject({ reply: 'COMMAND READ TIMED OUT\n', closed: true });
    expect(results[2]).toMatchObject({ reply: '1: PONG\nCOMMAND READ TIMED OUT\n', closed: true });
  });
});

describe('disconnects and truncated streams', () => {
  it('closes silently when a client hangs up in the middle of a chunk or a length field', async () => {
    const results = await beside([
      ['zINSTREAM\0', lengthField(100), 'abc', 'end'],
      ['zINSTREAM\0', chunk('abc'), 'end'],
      ['zINSTREAM\0', Buffer.from([0, 0]), 'end'],
      ['nIDSESSION\n', 'nINSTREAM\n', lengthField(50), 'x', 'end'],
    ]);
    for (const r of results) expect(r).toMatchObject({ reply: '', closed: true });
  });

  it('survives clients that reset the connection mid-stream', async () => {
    const resets = Array.from({ length: 10 }, () =>
      new Promise<void>((resolve) => {
        const s = open(tcp);
        s.on('error', () => resolve());
        s.on('close', () => resolve());
        s.on('connect', () => {
          s.write(Buffer.concat([Buffer.from('zINSTREAM\0'), lengthField(200_000), randomBytes(50_000)]));
          setTimeout(() => s.resetAndDestroy(), 20);
        });
      }),
    );
    await Promise.all(resets);
    await goodClientsAreServed();
  });

  it('closes a connection whose stream goes past StreamMaxLength, in many small chunks', async () => {
    const [r] = await beside([[instream(Buffer.alloc(256 * 1024 + 10, 0x62), 1000)]]);
    expect(r).toMatchObject({ reply: 'INSTREAM size limit exceeded. ERROR\0', closed: true });
  });
});

describe('connection limits', () => {
  it('closes connections past MaxConnections at once and serves others when they go', async () => {
    const idle = Array.from({ length: 40 }, () => open(tcp));
    await Promise.all(idle.map((s) => new Promise((r) => s.once('connect', r))));
    await new Promise((r) => setTimeout(r, 50));
    const refused = await exchange(tcp, ['zPING\0'], 2000);
    expect(refused).toMatchObject({ reply: '', closed: true });
    for (const s of idle) s.destroy();
    await new Promise((r) => setTimeout(r, 100));
    expect(await ask(tcp, 'zPING\0')).toBe('PONG\0');
  });

  it('drops a session client that never reads its replies', async () => {
    const s = open(tcp);
    await new Promise((r) => s.once('connect', r));
    s.pause(); // never read
    s.on('error', () => undefined);
    s.write('zIDSESSION\0');
    const many = Buffer.from('zVERSIONCOMMANDS\0'.repeat(2000));
    for (let i = 0; i < 20 && !s.destroyed; i++) s.write(many);
    await goodClientsAreServed();
    // The daemon drops it (SendBufTimeout once its replies pile up); a paused socket would not notice, so ask the daemon.
    const until = performance.now() + 5000;
    while (d.daemon.connectionCount > 0 && performance.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(d.daemon.connectionCount).toBe(0);
    expect(d.logLines.some((l) => l.includes('does not read its replies'))).toBe(true);
    s.destroy();
  });
});
