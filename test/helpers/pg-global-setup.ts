/**
 * vitest globalSetup: one PostgreSQL server for the whole run, so the store suites run on both
 * SQLite and PostgreSQL.
 *
 * VIGIL_TEST_PG_URL names a server to use (CI starts one with `scripts/postgres.mjs start`).
 * Otherwise PostgreSQL 15 is installed if missing and possible, and a throwaway cluster is started
 * in a temporary folder and removed at teardown. Tests get the superuser URL through
 * `inject('pgAdminUrl')` (see pg.ts); '' means there is no PostgreSQL here and its suites skip,
 * except with CI=true, where that is an error: CI never skips them silently.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser URL of the test server, or '' when PostgreSQL is unavailable; absent when a vitest config runs without this setup. */
    pgAdminUrl?: string;
  }
}

/** What this setup uses from scripts/postgres.mjs. */
interface PostgresScript {
  ensurePostgresInstalled(): boolean;
  startPostgres(dir: string): Promise<{ url: string; port: number; dir: string; stop: () => void }>;
}

/** Signals that end a run without vitest's teardown. */
const EXIT_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
/** Seconds to wait for the server named by VIGIL_TEST_PG_URL to answer. */
const EXTERNAL_CONNECT_TIMEOUT_SECONDS = 10;

// The script is plain JavaScript without type declarations: importing it through a non-literal
// specifier keeps tsc from asking for them, and PostgresScript states what we rely on.
const SCRIPT_URL = new URL('../../scripts/postgres.mjs', import.meta.url).href;

export default async function setup(project: TestProject): Promise<(() => void) | undefined> {
  const external = process.env['VIGIL_TEST_PG_URL'];
  if (external) {
    await checkReachable(external);
    project.provide('pgAdminUrl', external);
    return undefined;
  }
  const script = (await import(SCRIPT_URL)) as PostgresScript;
  if (!script.ensurePostgresInstalled()) {
    const why = 'PostgreSQL 15 is not installed and cannot be installed here (needs root and apt-get)';
    if (process.env['CI'] === 'true') throw new Error(`pg-global-setup: ${why}; CI must run the PostgreSQL tests`);
    console.warn(`\n[vigil] ${why}: PostgreSQL tests are SKIPPED. Install postgresql-15 or set VIGIL_TEST_PG_URL.\n`);
    project.provide('pgAdminUrl', '');
    return undefined;
  }
  const server = await script.startPostgres(mkdtempSync(join(tmpdir(), 'vigil-pg-')));
  project.provide('pgAdminUrl', server.url);
  return stopWithProcess(server.stop);
}

/**
 * Runs `stop` at teardown, and also when the run ends without one: vitest skips teardown when it
 * is interrupted (Ctrl+C, a CI timeout's SIGTERM), and the daemonised server would outlive it.
 * SIGKILL cannot be caught: then the server is left running.
 */
function stopWithProcess(stop: () => void): () => void {
  let stopped = false;
  const once = (): void => {
    if (stopped) return;
    stopped = true;
    process.off('exit', once);
    for (const signal of EXIT_SIGNALS) process.off(signal, onSignal);
    stop();
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    try {
      once();
    } catch (err) {
      console.error('pg-global-setup: stopping PostgreSQL failed:', err);
    }
    // With no other listener, end the way the signal would have without ours.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  // First in line: vitest's own signal and exit listeners call process.exit(), which skips the rest.
  process.prependOnceListener('exit', once);
  for (const signal of EXIT_SIGNALS) process.prependOnceListener(signal, onSignal);
  return once;
}

async function checkReachable(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: EXTERNAL_CONNECT_TIMEOUT_SECONDS * 1000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (err) {
    throw new Error(`pg-global-setup: cannot reach VIGIL_TEST_PG_URL (${redact(url)})`, { cause: err });
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The URL without its password, for messages. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.href;
  } catch {
    return '(unparsable URL)';
  }
}
