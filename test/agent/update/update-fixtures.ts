/**
 * Repositories for the update client's tests, published with the real publisher (the cloud's
 * UpdateRepository on a SQLite store) and exported as `vigil cloud repo export` writes them; and
 * agents that update from them.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';
import { afterEach, expect } from 'vitest';
import { exportRepository, type UpdateConfig } from '../../../src/cloud/updates/index.js';
import { openStore, type Store } from '../../../src/cloud/index.js';
import { runUpdate, type UpdateOptions } from '../../../src/agent/update/update-client.js';
import { compileRelease, openRepository, tempDir } from '../../cloud/updates/update-fixtures.js';

export { compileRelease, tempDir };

const stores: Store[] = [];
const servers: http.Server[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

export interface Publisher {
  dataDir: string;
  store: Store;
  repo: ReturnType<typeof openRepository>;
  /** Publishes release images; returns the SHA-256 of each. */
  publish(...releases: number[]): Promise<string[]>;
  /** Exports into `out` (a new folder by default) and returns it. */
  exportTo(out?: string): Promise<string>;
}

export async function openPublisher(options: { dataDir?: string; config?: Partial<UpdateConfig>; now?: () => Date } = {}): Promise<Publisher> {
  const dataDir = options.dataDir ?? tempDir('vigil-publisher-');
  const store = await openStore({ dataDir });
  stores.push(store);
  const repo = openRepository(store, dataDir, { logOrigin: 'updates.test/log', ...options.config }, options.now);
  return {
    dataDir,
    store,
    repo,
    async publish(...releases) {
      const out: string[] = [];
      for (const n of releases) {
        const image = compileRelease(n);
        await repo.publish(image, 'test');
        out.push(sha256(image));
      }
      return out;
    },
    async exportTo(out = join(tempDir('vigil-repo-'), 'repo')) {
      await exportRepository(store, out);
      return out;
    },
  };
}

/** A second publisher that shares the first one's history and keys so far: the way to fork a log. */
export async function forkPublisher(from: Publisher): Promise<Publisher> {
  const dataDir = tempDir('vigil-fork-');
  cpSync(from.dataDir, dataDir, { recursive: true });
  return openPublisher({ dataDir });
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export interface Agent {
  agentDir: string;
  dbDir: string;
  /** Updates from the mirror `repo` with its root.json; `extra` overrides (undefined removes an option). */
  update(repo: string, extra?: { [K in keyof UpdateOptions]?: UpdateOptions[K] | undefined }): ReturnType<typeof runUpdate>;
  /** The SHA-256 of the installed image, or undefined. */
  installed(): string | undefined;
}

export function newAgent(): Agent {
  const agentDir = tempDir('vigil-agent-');
  const dbDir = join(agentDir, 'database');
  return {
    agentDir,
    dbDir,
    update: (repo, extra = {}) => {
      const options = Object.fromEntries(Object.entries({ agentDir, mirror: repo, trustedRootFile: join(repo, 'root.json'), ...extra }).filter(([, v]) => v !== undefined));
      return runUpdate(options as unknown as UpdateOptions);
    },
    installed: () => (existsSync(join(dbDir, 'vigil.vigildb')) ? sha256(readFileSync(join(dbDir, 'vigil.vigildb'))) : undefined),
  };
}

/** A publisher with release 1, exported, and an agent that installed it. */
export async function installedOne() {
  const pub = await openPublisher();
  const [sha1] = await pub.publish(1);
  const repo = await pub.exportTo();
  const agent = newAgent();
  await agent.update(repo);
  expect(agent.installed()).toBe(sha1);
  return { pub, repo, agent, sha1: sha1! };
}

/** A static server over an exported folder, under `prefix` (e.g. /v1/updates as the cloud serves it); `intercept` may answer first. */
export async function serveRepo(dir: string, prefix = '', intercept?: (path: string, res: http.ServerResponse) => boolean): Promise<string> {
  const server = http.createServer((req, res) => {
    let path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    if (intercept?.(path, res)) return;
    if (!path.startsWith(`${prefix}/`)) return void res.writeHead(404).end();
    path = normalize(path.slice(prefix.length)).replace(/^(\.\.[/\\])+/, '');
    const file = join(dir, path);
    if (!file.startsWith(dir) || !existsSync(file)) return void res.writeHead(404).end();
    res.writeHead(200).end(readFileSync(file));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
