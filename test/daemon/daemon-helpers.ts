/**
 * Helpers for the daemon tests: a signature database and sample files written by the tests, an
 * in-process daemon on 127.0.0.1 (a free port) and a Unix socket in a temporary folder, and a raw
 * client that sends bytes (optionally in timed steps) and collects everything until the daemon
 * closes the connection.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClamdDaemon, defaultSettings, DaemonLog, type DaemonSettings } from '../../src/agent/daemon/index.js';
import { EICAR } from '../helpers/cli.js';

export { EICAR };

/** Text that only the test body signature matches. */
export const MARKER = 'VIGIL-DAEMON-TEST-MARKER';
export const MARKER_SIGNATURE = 'Vigil.Test.Marker.UNOFFICIAL';
export const EICAR_SIGNATURE = 'Eicar-Signature.UNOFFICIAL';
/** A second body signature, added by reload tests. */
export const LATE = 'VIGIL-DAEMON-LATE-SIGNATURE';
export const LATE_SIGNATURE = 'Vigil.Test.Late.UNOFFICIAL';

export interface Fixture {
  root: string;
  db: string;
  files: string;
  cleanup(): void;
}

/**
 * A database (EICAR by MD5 in test.hdb, MARKER as a body signature in test.ndb) and files:
 * files/eicar.com, files/clean.txt, files/marker.txt, files/both.txt (MARKER twice-matched with
 * allmatch: see allmatch tests), clean/ (only clean files), tree/ (one infected file per level).
 */
export function makeFixture(): Fixture {
  const root = mkdtempSync(join(tmpdir(), 'vigil-daemon-'));
  const db = join(root, 'db');
  const files = join(root, 'files');
  mkdirSync(db);
  mkdirSync(files);
  const md5 = createHash('md5').update(EICAR).digest('hex');
  writeFileSync(join(db, 'test.hdb'), `${md5}:${EICAR.length}:Eicar-Signature\n`);
  writeFileSync(join(db, 'test.ndb'), `Vigil.Test.Marker:0:*:${Buffer.from(MARKER).toString('hex')}\nVigil.Test.Marker2:0:*:${Buffer.from('SECOND-BODY-MARK').toString('hex')}\n`);
  writeFileSync(join(files, 'eicar.com'), EICAR);
  writeFileSync(join(files, 'clean.txt'), 'nothing to see here, a clean file\n');
  writeFileSync(join(files, 'marker.txt'), `before ${MARKER} after\n`);
  writeFileSync(join(files, 'both.txt'), `${MARKER} and SECOND-BODY-MARK\n`);
  mkdirSync(join(root, 'clean'));
  writeFileSync(join(root, 'clean', 'a.txt'), 'clean file a\n');
  writeFileSync(join(root, 'clean', 'b.txt'), 'clean file b\n');
  writeFileSync(join(root, 'clean', 'empty.txt'), '');
  mkdirSync(join(root, 'tree', 'inner'), { recursive: true });
  writeFileSync(join(root, 'tree', 'clean.txt'), 'clean\n');
  writeFileSync(join(root, 'tree', 'm.txt'), `${MARKER}\n`);
  writeFileSync(join(root, 'tree', 'inner', 'e.com'), EICAR);
  return { root, db, files, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

export interface TestDaemon {
  daemon: ClamdDaemon;
  port: number;
  socketPath: string;
  logLines: string[];
  stop(): Promise<void>;
}

/** Starts a daemon in this process: TCP on a free port of 127.0.0.1 and a Unix socket. */
export async function startDaemon(fx: Fixture, overrides: Partial<DaemonSettings> = {}): Promise<TestDaemon> {
  const socketPath = join(fx.root, 'vigil.sock');
  const settings: DaemonSettings = { ...defaultSettings(), tcpPort: 0, localSocket: socketPath, databases: [fx.db], cacheDir: false, ...overrides };
  const logLines: string[] = [];
  const log = new DaemonLog({ file: null, time: false, verbose: true, write: (l) => logLines.push(l.trimEnd()) });
  const daemon = await ClamdDaemon.start({ settings, version: 'test', workerThreads: 0, log });
  const tcp = daemon.addresses.find((a) => a.kind === 'tcp');
  return { daemon, port: tcp?.port ?? 0, socketPath, logLines, stop: () => daemon.shutdown() };
}

export type Target = { port: number } | { path: string };

/** A step: bytes to send, a pause in milliseconds, or the string 'end' to half-close. */
export type Step = string | Buffer | { pause: number };

export interface Exchange {
  reply: string;
  /** Whether the daemon closed the connection (false: the wait ran out first). */
  closed: boolean;
  ms: number;
}

export function chunk(data: string | Buffer): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length);
  return Buffer.concat([head, body]);
}

export function lengthField(n: number): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(n);
  return head;
}

export function open(target: Target): Socket {
  return 'port' in target ? connect(target.port, '127.0.0.1') : connect(target.path);
}

/** Sends the steps and collects the reply until the daemon closes, or `waitMs` passes. */
export function exchange(target: Target, steps: Step[], waitMs = 5000): Promise<Exchange> {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = open(target);
    const parts: Buffer[] = [];
    let finished = false;
    const finish = (closed: boolean) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ reply: Buffer.concat(parts).toString('latin1'), closed, ms: performance.now() - started });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.on('data', (d) => parts.push(d));
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    const send = async () => {
      for (const step of steps) {
        if (socket.destroyed) return;
        if (step === 'end') socket.end();
        else if (typeof step === 'object' && 'pause' in step) await new Promise((r) => setTimeout(r, step.pause));
        else socket.write(step);
      }
    };
    socket.on('connect', () => void send());
  });
}

/** Sends one command and returns the reply (the daemon closes after it outside a session). */
export async function ask(target: Target, ...steps: Step[]): Promise<string> {
  return (await exchange(target, steps)).reply;
}

/** INSTREAM of `data` in chunks of `size` bytes, z-delimited. */
export function instream(data: string | Buffer, size = 4096, mode: 'z' | 'n' = 'z'): Buffer {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
  const parts: Buffer[] = [Buffer.from(mode === 'z' ? 'zINSTREAM\0' : 'nINSTREAM\n')];
  for (let at = 0; at < bytes.length; at += size) parts.push(chunk(bytes.subarray(at, at + size)));
  parts.push(lengthField(0));
  return Buffer.concat(parts);
}
