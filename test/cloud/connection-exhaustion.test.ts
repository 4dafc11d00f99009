// Issue 16 item 10, the attack as reported, scaled down: a `vigil cloud` whose descriptor limit is
// 256 (`ulimit -n`), with its default connection caps, and hundreds of idle half-sent requests.
// Before the caps, accept() failed with EMFILE and /v1/health from another address was reset.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli.js';
import { freshLocation, pollUntil, sleep } from './process-harness.js';

const sockets: net.Socket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
});

function halfSent(port: number, from: string): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port, localAddress: from });
    sockets.push(socket);
    socket.on('error', () => resolve());
    socket.on('data', () => undefined);
    socket.once('connect', () => socket.write('GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Pad', () => resolve()));
  });
}

function health(port: number, from: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port, localAddress: from });
    sockets.push(socket);
    let text = '';
    const timer = setTimeout(() => resolve(`timeout after: ${text}`), 5000);
    socket.setEncoding('utf8').on('data', (d: string) => (text += d));
    socket.once('connect', () => socket.write('GET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
    socket.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(`error ${e.code ?? e.message} after: ${text}`);
    });
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(text);
    });
  });
}

describe('connection exhaustion', () => {
  it('keeps /v1/health answering other addresses under a descriptor limit of 256, and answers 503 past the total', async () => {
    const location = await freshLocation('sqlite');
    const command = `ulimit -n 256 && exec "$0" "$@"`;
    const child = spawn('sh', ['-c', command, process.execPath, CLI, 'cloud', '--data', location.dataDir, '--port', '0', '--log-level', 'silent', '--token-file', `${location.dataDir}/token`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (out += s));
    const exited = new Promise((r) => child.once('exit', r));
    try {
      expect(await pollUntil(() => out.includes('API description'), () => child.exitCode !== null), out).toBe(true);
      const port = Number(/listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1]);

      // One address, 300 idle requests: more than the process has descriptors.
      await Promise.all(Array.from({ length: 300 }, () => halfSent(port, '127.0.0.1')));
      expect(await health(port, '127.0.0.2')).toMatch(/^HTTP\/1\.1 200 /);

      // Many addresses past the total (192 under 256): refused with 503 and Retry-After, never reset.
      for (const from of ['127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6']) await Promise.all(Array.from({ length: 60 }, () => halfSent(port, from)));
      await sleep(200); // the server accepts them asynchronously
      expect(await health(port, '127.0.0.2')).toMatch(/^HTTP\/1\.1 503 [^]*\r\nRetry-After: 5\r\n/i);
      for (const s of sockets.splice(0)) s.destroy();
      expect(await pollUntil(async () => (await health(port, '127.0.0.2')).startsWith('HTTP/1.1 200 '))).toBe(true);
      expect(child.exitCode).toBeNull();
    } finally {
      for (const s of sockets.splice(0)) s.destroy();
      child.kill('SIGTERM');
      await exited;
    }
  });
});
