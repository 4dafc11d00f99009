// Issue 16 item 12: the request log keeps no client address (docs/privacy.md). A real server on
// 127.0.0.1, a client bound to 127.0.0.2 behind a trusted proxy naming 203.0.113.9, the log captured.
import net from 'node:net';
import { hostname } from 'node:os';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { buildCloudServer } from '../../../src/cloud/index.js';
import { openTestStore } from '../harness.js';

const apps: FastifyInstance[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.close();
});

/** Sends one raw request from 127.0.0.2 and resolves with the local port it used, once answered. */
function requestFrom(port: number, head: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, localAddress: '127.0.0.2' });
    let local = 0;
    socket.once('connect', () => {
      local = socket.localPort!;
      socket.write(head);
    });
    socket.on('data', () => undefined);
    socket.once('error', reject);
    socket.once('close', () => resolve(local));
  });
}

describe('request log', () => {
  it('logs requests, refusals and errors without any client address, port, forwarded address or host name', async () => {
    let log = '';
    const stream = new Writable({
      write: (chunk: Buffer, _e, done) => {
        log += chunk.toString();
        done();
      },
    });
    const { store } = await openTestStore('sqlite');
    const app = await buildCloudServer({ store, config: { trustedProxies: ['127.0.0.2'] }, logger: { level: 'debug', stream } });
    apps.push(app);
    await app.listen({ host: '127.0.0.1', port: 0 });
    const port = (app.server.address() as net.AddressInfo).port;
    const forwarded = 'X-Forwarded-For: 203.0.113.9\r\nHost: vigil-host.example\r\nConnection: close\r\n';
    const ports = [
      await requestFrom(port, `GET /v1/health?from=198.51.100.4 HTTP/1.1\r\n${forwarded}\r\n`),
      await requestFrom(port, `GET /v1/me HTTP/1.1\r\nAuthorization: Bearer vigil_tok_nope.x\r\n${forwarded}\r\n`),
      await requestFrom(port, `GET /nowhere HTTP/1.1\r\n${forwarded}\r\n`),
    ];
    await app.close();
    expect(log).toContain('incoming request');
    expect(log).toContain('request completed');
    expect(log).toContain('token refused');
    expect(log).toContain('"url":"/v1/health"');
    for (const secret of ['127.0.0.2', '203.0.113.9', '198.51.100.4', 'vigil-host.example', 'remoteAddress', 'remotePort', '"hostname"', `"${hostname()}"`, ...ports.map((p) => `:${p}`), ...ports.map((p) => `${p},`)]) {
      expect(log, secret).not.toContain(secret);
    }
  });
});
