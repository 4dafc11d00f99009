// Issue 16 item 10: idle, half-sent requests from one address must not take the connections that
// others need. Real sockets on loopback: 127.0.0.1 attacks, 127.0.0.2 and 127.0.0.3 are others.
import net from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { buildCloudServer, type CloudConfig } from '../../../src/cloud/index.js';
import { connectionsBelow, parseDescriptorLimit, readDescriptorLimit } from '../../../src/cloud/http/index.js';
import { openTestStore } from '../harness.js';

const sockets: net.Socket[] = [];
const apps: FastifyInstance[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const a of apps.splice(0)) await a.close();
});

async function listen(config: Partial<CloudConfig>): Promise<number> {
  const { store } = await openTestStore('sqlite');
  const app = await buildCloudServer({ store, config });
  apps.push(app);
  await app.listen({ host: '127.0.0.1', port: 0 });
  return (app.server.address() as net.AddressInfo).port;
}

/** Opens a connection from `from` and sends half a request (headers not finished); resolves once connected. */
function halfSentRequest(port: number, from: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, localAddress: from });
    sockets.push(socket);
    socket.on('error', () => undefined);
    socket.once('connect', () => {
      socket.write('POST /v1/tenants HTTP/1.1\r\nHost: x\r\nContent-Le');
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** One raw GET from `from`: everything the server sent until it closed or the answer was complete, or how it failed. */
function rawGet(port: number, from: string, path = '/v1/health'): Promise<{ text: string; error?: string }> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port, localAddress: from });
    sockets.push(socket);
    let text = '';
    const timer = setTimeout(() => resolve({ text, error: 'timeout' }), 5000);
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (text += d));
    socket.once('connect', () => socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
    socket.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ text, error: e.code ?? e.message });
    });
    socket.once('close', () => {
      clearTimeout(timer);
      resolve({ text });
    });
  });
}

const statusOf = (text: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);

/** Waits until the server has counted the connections (accepting is asynchronous). */
async function settle(): Promise<void> {
  await new Promise((r) => setTimeout(r, 50));
}

describe('connection limits', () => {
  it('answers 503 with Retry-After to one address past its cap, while another address still gets /v1/health', async () => {
    const port = await listen({ maxConnectionsPerAddress: 5, maxConnections: 100, connectionRetryAfterSeconds: 7 });
    for (let i = 0; i < 5; i++) await halfSentRequest(port, '127.0.0.1');
    await settle();
    const over = await rawGet(port, '127.0.0.1');
    expect(over.error).toBeUndefined();
    expect(statusOf(over.text)).toBe(503);
    expect(over.text).toMatch(/\r\nRetry-After: 7\r\n/i);
    expect(JSON.parse(over.text.split('\r\n\r\n')[1]!)).toEqual({ error: { code: 'unavailable', message: 'too many connections; retry later', details: [] } });
    const other = await rawGet(port, '127.0.0.2');
    expect(other.error).toBeUndefined();
    expect(statusOf(other.text)).toBe(200);
  });

  it('holds the total below the cap across addresses, answers 503 past it, and admits again once connections close', async () => {
    const port = await listen({ maxConnectionsPerAddress: 100, maxConnections: 8 });
    const held: net.Socket[] = [];
    for (let i = 0; i < 4; i++) held.push(await halfSentRequest(port, '127.0.0.1'), await halfSentRequest(port, '127.0.0.3'));
    await settle();
    const over = await rawGet(port, '127.0.0.2');
    expect(over.error).toBeUndefined();
    expect(statusOf(over.text)).toBe(503);
    expect(over.text).toMatch(/\r\nRetry-After: 5\r\n/i);
    held[0]!.destroy();
    await settle();
    expect(statusOf((await rawGet(port, '127.0.0.2')).text)).toBe(200);
  });

  it('refuses before any route runs: a refused request creates nothing', async () => {
    const port = await listen({ maxConnectionsPerAddress: 1, maxConnections: 100 });
    await halfSentRequest(port, '127.0.0.1');
    await settle();
    const refused = await rawGet(port, '127.0.0.1', '/v1/tenants');
    expect(statusOf(refused.text)).toBe(503);
    expect(refused.text).not.toMatch(/401|unauthorized/i);
  });

  it('lets a trusted proxy carry more connections than one address may', async () => {
    const port = await listen({ maxConnectionsPerAddress: 2, maxConnections: 100, trustedProxies: ['127.0.0.0/8'] });
    for (let i = 0; i < 4; i++) await halfSentRequest(port, '127.0.0.1');
    await settle();
    expect(statusOf((await rawGet(port, '127.0.0.1')).text)).toBe(200);
  });
});

describe('the default connection cap', () => {
  it('reads the soft descriptor limit as ulimit -n does', () => {
    const text = 'Limit                     Soft Limit           Hard Limit           Units     \nMax open files            1024                 524288               files     \n';
    expect(parseDescriptorLimit(text)).toBe(1024);
    expect(parseDescriptorLimit('Max open files            unlimited            unlimited            files\n')).toBeUndefined();
    expect(readDescriptorLimit()).toBeGreaterThan(0);
  });

  it('stays below the descriptor limit, with room for the store and the refusals', () => {
    expect(connectionsBelow(1024)).toBe(896);
    expect(connectionsBelow(256)).toBe(192);
    for (const limit of [64, 100, 1024, 65536]) expect(connectionsBelow(limit)).toBeLessThan(limit);
  });
});
