#!/usr/bin/env node
/**
 * A throwaway PostgreSQL 15 for tests, from Debian's binaries (no npm dependencies).
 *
 * `startPostgres(dir)` puts a fresh cluster in `dir/data` (trust auth for the local socket and
 * 127.0.0.1 only), starts it with pg_ctl listening only on 127.0.0.1 on a port the OS says is free,
 * with its unix socket and log (`dir/postgres.log`) in `dir`, and waits until it accepts
 * connections. initdb and postgres refuse to run as root, so as root they run as the `postgres`
 * system user (runuser) and `dir` is handed to that user.
 *
 *   node scripts/postgres.mjs ensure      install postgresql-15 if missing (exit 1 if unavailable)
 *   node scripts/postgres.mjs start DIR   start a cluster in DIR, print its URL, leave it running
 *   node scripts/postgres.mjs stop DIR    stop the cluster in DIR and remove DIR
 *
 * Everything but the URL goes to stderr, so `URL=$(node scripts/postgres.mjs start "$DIR")` works.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const PG_BIN = '/usr/lib/postgresql/15/bin';
/** The user that owns and runs clusters when we are root. */
const PG_OS_USER = 'postgres';
/** Enough for vitest's parallel forks, each holding a connection pool. */
const MAX_CONNECTIONS = 200;
/** Seconds pg_ctl waits for the server to start or stop. */
const PG_CTL_TIMEOUT_SECONDS = 60;
/** Tries with a new port when another process takes the free one before postgres binds it. */
const PORT_ATTEMPTS = 3;
/** sun_path is 108 bytes with the terminating NUL: a longer socket path cannot be bound. */
const MAX_SOCKET_PATH_BYTES = 107;

const INITDB = join(PG_BIN, 'initdb');
const PG_CTL = join(PG_BIN, 'pg_ctl');
const execFileAsync = promisify(execFile);

function isRoot() {
  return process.getuid?.() === 0;
}

function have(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function osUserIds(name) {
  const id = (flag) => spawnSync('id', [flag, name], { encoding: 'utf8' });
  const uid = id('-u');
  const gid = id('-g');
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

function isAvailable() {
  return existsSync(INITDB) && existsSync(PG_CTL) && (!isRoot() || osUserIds(PG_OS_USER) !== undefined);
}

/**
 * Installs Debian's postgresql-15 when initdb is missing and we are root with apt-get; a no-op
 * otherwise. The package's own cluster (15/main on port 5432) is stopped and its service disabled:
 * tests only use clusters from startPostgres. Returns whether PostgreSQL can be started here.
 */
export function ensurePostgresInstalled() {
  if (!existsSync(INITDB) && isRoot() && have('apt-get')) {
    console.error('postgres: installing Debian postgresql-15 (test database)...');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    // apt's stdout goes to stderr: the CLI's stdout carries only the URL.
    const stdio = ['ignore', 2, 2];
    execFileSync('apt-get', ['update', '-qq'], { stdio, env });
    execFileSync('apt-get', ['-o', 'DPkg::Lock::Timeout=300', 'install', '-y', '-qq', '--no-install-recommends', 'postgresql-15'], { stdio, env });
    spawnSync('sh', ['-c', 'pg_ctlcluster 15 main stop; command -v systemctl && systemctl disable --now postgresql'], { stdio: 'ignore' });
  }
  return isAvailable();
}

/** Runs a PostgreSQL program as the cluster's owner: `postgres` when we are root, else ourselves. */
async function runAsOwner(program, args, cwd) {
  const [file, argv] = isRoot() ? ['runuser', ['-u', PG_OS_USER, '--', program, ...args]] : [program, args];
  try {
    return await execFileAsync(file, argv, { cwd, encoding: 'utf8' });
  } catch (err) {
    const detail = [err.stderr, err.stdout].filter(Boolean).join('\n').trim();
    throw new Error(`${program.split('/').pop()} ${args[0] ?? ''} failed${detail ? `:\n${detail}` : ''}`, { cause: err });
  }
}

function freePort() {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

/** A value quoted for postgresql.conf. */
function confString(value) {
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
}

function logTail(dir, lines = 20) {
  const log = join(dir, 'postgres.log');
  return existsSync(log) ? readFileSync(log, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') : '';
}

/** As root, hands `dir` to the user that runs the server, and checks that user can reach it. */
function handToOwner(dir) {
  if (!isRoot()) return;
  const owner = osUserIds(PG_OS_USER);
  if (owner === undefined) throw new Error(`postgres: no '${PG_OS_USER}' system user to run the server as`);
  chownSync(dir, owner.uid, owner.gid);
  if (spawnSync('runuser', ['-u', PG_OS_USER, '--', 'test', '-w', dir], { stdio: 'ignore' }).status !== 0) {
    throw new Error(`postgres: user '${PG_OS_USER}' cannot reach ${dir} (a parent folder is closed to it); use a folder under /tmp`);
  }
}

/**
 * Creates and starts a throwaway cluster in `dir` (created if missing, must be empty) and resolves
 * once it accepts connections. `stop()` stops it and removes `dir`. On failure `dir` is removed too.
 */
export async function startPostgres(dir) {
  dir = resolve(dir);
  if (!isAvailable()) throw new Error(`postgres: PostgreSQL 15 not found in ${PG_BIN} (run ensurePostgresInstalled first)`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (readdirSync(dir).length > 0) throw new Error(`postgres: ${dir} is not empty; give a fresh folder`);
  try {
    handToOwner(dir);
    const port = await createAndStart(dir);
    return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, port, dir, stop: () => stopPostgres(dir) };
  } catch (err) {
    try {
      stopPostgres(dir);
    } catch (stopErr) {
      console.error(`postgres: cleanup after a failed start also failed: ${stopErr.message}`);
    }
    throw err;
  }
}

/** initdb into `dir/data`, configure, start; resolves to the port once the server accepts connections. */
async function createAndStart(dir) {
  const data = join(dir, 'data');
  // --no-sync only skips flushing initdb's own files (a throwaway cluster); the server runs with fsync on.
  await runAsOwner(INITDB, ['-D', data, '-U', 'postgres', '--auth=trust', '--no-locale', '-E', 'UTF8', '--no-sync', '--no-instructions'], dir);
  writeFileSync(join(data, 'pg_hba.conf'), 'local all all trust\nhost all all 127.0.0.1/32 trust\n');
  appendFileSync(
    join(data, 'postgresql.conf'),
    [
      '\n# scripts/postgres.mjs: a throwaway test cluster',
      "listen_addresses = '127.0.0.1'",
      `unix_socket_directories = ${confString(dir)}`,
      `max_connections = ${MAX_CONNECTIONS}`,
      'fsync = on',
      '',
    ].join('\n'),
  );
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const socket = join(dir, `.s.PGSQL.${port}`);
    if (Buffer.byteLength(socket) > MAX_SOCKET_PATH_BYTES) throw new Error(`postgres: socket path ${socket} is longer than ${MAX_SOCKET_PATH_BYTES} bytes; use a shorter folder`);
    // The last `port` line wins, so a retry appends another.
    appendFileSync(join(data, 'postgresql.conf'), `port = ${port}\n`);
    try {
      // -w: pg_ctl returns once the server reports it accepts connections.
      await runAsOwner(PG_CTL, ['start', '-D', data, '-l', join(dir, 'postgres.log'), '-w', '-t', String(PG_CTL_TIMEOUT_SECONDS)], dir);
      return port;
    } catch (err) {
      const log = logTail(dir);
      if (attempt < PORT_ATTEMPTS && /could not bind|Address already in use/.test(log)) continue;
      throw new Error(`${err.message}\n--- ${join(dir, 'postgres.log')} ---\n${log}`, { cause: err });
    }
  }
}

/**
 * Stops the cluster in `dir` (fast shutdown: open sessions are ended) and removes `dir`.
 * Synchronous, so it also works from an exit handler; a second call does nothing.
 */
export function stopPostgres(dir) {
  dir = resolve(dir);
  const data = join(dir, 'data');
  if (existsSync(join(data, 'postmaster.pid'))) {
    const args = ['stop', '-D', data, '-m', 'fast', '-w', '-t', String(PG_CTL_TIMEOUT_SECONDS)];
    const [file, argv] = isRoot() ? ['runuser', ['-u', PG_OS_USER, '--', PG_CTL, ...args]] : [PG_CTL, args];
    const r = spawnSync(file, argv, { cwd: '/', encoding: 'utf8' });
    // pg_ctl also fails when the server is already gone (stale pid file); only a live server that will not stop is an error.
    if (r.status !== 0 && !/Is server running\?|No such process/.test(r.stderr)) throw new Error(`postgres: pg_ctl stop failed for ${data}:\n${r.stderr.trim()}`);
  }
  rmSync(dir, { recursive: true, force: true });
}

async function main([command, dir]) {
  switch (command) {
    case 'ensure':
      return ensurePostgresInstalled() ? 0 : 1;
    case 'start': {
      if (!dir) break;
      const started = Date.now();
      const pg = await startPostgres(dir);
      console.error(`postgres: started in ${Date.now() - started} ms, data in ${pg.dir}`);
      console.log(pg.url);
      return 0;
    }
    case 'stop':
      if (!dir) break;
      stopPostgres(dir);
      return 0;
  }
  console.error('usage: node scripts/postgres.mjs ensure | start DIR | stop DIR');
  return 2;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (err) => {
      console.error(err instanceof Error ? err.message : err);
      process.exitCode = 1;
    },
  );
}
