// transportFailure tells a fetch stopped by its signal from one that could not connect, by the
// error's class and code (never by its name).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAbortedFetch, transportFailure } from '../../src/agent/cloud-answer.js';

describe('transportFailure', () => {
  let server: http.Server;
  let base: URL;
  beforeAll(async () => {
    server = http.createServer((_req, res) => void setTimeout(() => res.end('late'), 2000));
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    base = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  it('reports a fetch past its AbortSignal.timeout as a timeout', async () => {
    const e = await fetch(base, { signal: AbortSignal.timeout(50) }).catch((x: unknown) => x);
    expect(isAbortedFetch(e)).toBe(true);
    expect(transportFailure(e, base)).toEqual({ timeout: true });
  });

  it('reports an aborted fetch and Node\'s own AbortError as stopped', async () => {
    const controller = new AbortController();
    const pending = fetch(base, { signal: controller.signal }).catch((x: unknown) => x);
    controller.abort();
    expect(isAbortedFetch(await pending)).toBe(true);
    const aborted = new AbortController();
    aborted.abort();
    expect(isAbortedFetch(await sleep(10, undefined, { signal: aborted.signal }).catch((x: unknown) => x))).toBe(true);
  });

  it('reports a refused connection by its system code, and does not take an error named TimeoutError for a timeout', async () => {
    const closed = new URL('http://127.0.0.1:9/');
    const e = await fetch(closed).catch((x: unknown) => x);
    expect(transportFailure(e, closed)).toEqual({ timeout: false, why: expect.any(String) });
    const impostor = Object.assign(new Error('not a timeout'), { name: 'TimeoutError' });
    expect(isAbortedFetch(impostor)).toBe(false);
    expect(transportFailure(impostor, base)).toEqual({ timeout: false, why: 'not a timeout' });
  });
});
