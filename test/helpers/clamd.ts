/**
 * Debian's clamd (package clamav-daemon) as a test peer: started in the foreground on a free
 * port of 127.0.0.1 and a Unix socket in a temporary folder, with a given database folder, and
 * stopped after the test. `hasClamd()` says whether it is installed (scripts/test-setup.mjs
 * installs it; CI requires it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasCommand } from './cli.js';

export const CLAMD = '/usr/sbin/clamd';

export function hasClamd(): boolean {
  return hasCommand(CLAMD);
}

export interface RealClamd {
  port: number;
  socketPath: string;
  configFile: string;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (taken and released: clamd binds it right after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function pong(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    let text = '';
    s.setTimeout(1000, () => s.destroy());
    s.on('connect', () => s.write('zPING\0'));
    s.on('data', (d) => (text += d.toString()));
    s.on('close', () => resolve(text.startsWith('PONG')));
    s.on('error', () => resolve(false));
  });
}

/** Starts clamd on `databaseDir` with extra clamd.conf lines; resolves once it answers PING. */
export async function startClamd(databaseDir: string, extraConfig: string[] = []): Promise<RealClamd> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-clamd-'));
  const port = await freePort();
  const socketPath = join(dir, 'clamd.sock');
  const configFile = join(dir, 'clamd.conf');
  writeFileSync(configFile, [`LocalSocket ${socketPath}`, `TCPSocket ${port}`, 'TCPAddr 127.0.0.1', `DatabaseDirectory ${databaseDir}`, 'Foreground yes', `LogFile ${join(dir, 'clamd.log')}`, ...extraConfig, ''].join('\n'));
  const child: ChildProcess = spawn(CLAMD, ['-c', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 60_000;
  while (!(await pong(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`clamd did not start: ${stderr.trim() || `exit ${String(child.exitCode)}`}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { port, socketPath, configFile, stop };
}
