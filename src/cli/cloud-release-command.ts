/**
 * `vigil cloud release publish|list`, `vigil cloud keys rotate`, `vigil cloud timestamp refresh`,
 * `vigil cloud repo export`: the signed update repository (docs/updates.md). They work on the data
 * directly: the store in the data folder (or PostgreSQL with --store), and the private keys, which
 * are always in the data folder (`keys/updates/`).
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Store, TufRole, UpdateConfig, UpdateRepository } from '../cloud/index.js';
import { loadCloud } from './cloud-target.js';
import { localActor } from './cloud-policy-command.js';
import { reportError, UsageError } from './exit-codes.js';

interface RepoOptions {
  data?: string;
  store?: string;
  json?: boolean;
  keepDeltas?: string;
  origin?: string;
  rootKeys?: string;
  rootThreshold?: string;
  expires?: string[];
}

const ROLES = ['root', 'targets', 'snapshot', 'timestamp'] as const;

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function wholeNumber(flag: string, text: string | undefined, min: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`${flag}: expected a whole number of at least ${min}, not ${text}`);
  return n;
}

/** The repository settings the flags give (everything else at its default). */
function configOf(options: RepoOptions): Partial<UpdateConfig> {
  const config: Partial<UpdateConfig> = {};
  const keep = wholeNumber('--keep-deltas', options.keepDeltas, 0);
  if (keep !== undefined) config.keepDeltas = keep;
  if (options.origin !== undefined) config.logOrigin = options.origin;
  const rootKeys = wholeNumber('--root-keys', options.rootKeys, 1);
  if (rootKeys !== undefined) config.rootKeys = rootKeys;
  const threshold = wholeNumber('--root-threshold', options.rootThreshold, 1);
  if (threshold !== undefined) config.rootThreshold = threshold;
  if (options.expires && options.expires.length > 0) {
    const days: Partial<UpdateConfig['expiryDays']> = {};
    for (const item of options.expires) {
      const m = /^(root|targets|snapshot|timestamp)=(\d+(?:\.\d+)?)$/.exec(item);
      if (!m || Number(m[2]) <= 0) throw new UsageError(`--expires: expected ROLE=DAYS with ROLE one of ${ROLES.join(', ')}, not ${item}`);
      days[m[1] as TufRole] = Number(m[2]);
    }
    config.expiryDays = days as UpdateConfig['expiryDays'];
  }
  return config;
}

function addRepoOptions(command: Command): Command {
  return command
    .option('--data <dir>', 'data folder: the SQLite store and the private keys in keys/updates/ (default ./vigil-data)')
    .option('--store <url>', 'PostgreSQL URL for the store (or VIGIL_STORE); the keys stay in --data')
    .option('--expires <role=days>', 'lifetime of new metadata of a role, repeatable (defaults: root=365 targets=30 snapshot=7 timestamp=1)', collect, [])
    .option('--json', 'print the result as JSON');
}

/** Opens the store and the repository, runs `work`, closes; UpdateErrors are printed as the user's to act on. */
type CloudModule = Awaited<ReturnType<typeof loadCloud>>;

async function withRepository<T>(options: RepoOptions, work: (cloud: CloudModule, repo: UpdateRepository, store: Store) => Promise<T>): Promise<T> {
  const cloud = await loadCloud();
  const dataDir = options.data ?? 'vigil-data';
  const config = configOf(options);
  const store = await cloud.openStore({ dataDir, url: options.store ?? process.env.VIGIL_STORE });
  try {
    let repo: UpdateRepository;
    try {
      repo = new cloud.UpdateRepository({ store, vault: new cloud.KeyVault(dataDir), config });
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    return await work(cloud, repo, store);
  } catch (e) {
    if (e instanceof cloud.UpdateError) throw new UsageError(e.message);
    throw e;
  } finally {
    await store.close();
  }
}

function guarded<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (e) {
      process.exitCode = reportError(e);
    }
  };
}

function print(options: RepoOptions, json: unknown, text: string): void {
  process.stdout.write(options.json ? `${JSON.stringify(json)}\n` : `${text}\n`);
}

async function publish(options: RepoOptions & { database: string[] }): Promise<void> {
  if (options.database.length === 0) throw new UsageError('give the signature sources to publish with -d FILE|DIR (repeatable)');
  const { compileRelease, UpdateError } = await loadCloud();
  let compiled: { image: Uint8Array; warnings: string[] };
  try {
    compiled = compileRelease(options.database); // before the store is opened: bad sources publish nothing
  } catch (e) {
    if (e instanceof UpdateError) throw new UsageError(`${e.message}\nnothing was published`);
    throw e;
  }
  for (const w of compiled.warnings) process.stderr.write(`${w}\n`);
  await withRepository(options, async (_cloud, repo) => {
    const { release, checkpoint } = await repo.publish(compiled.image, localActor());
    const deltas = release.deltas.map((d) => `from ${d.from} (${d.length} bytes)`).join(', ') || 'none';
    print(options, { release, checkpoint }, `Published release ${release.number}: ${release.image.name}, ${release.image.length} bytes, sha256 ${release.image.sha256}\n  deltas: ${deltas}\n  targets version ${release.targetsVersion}; log entry ${release.logIndex}\n${checkpoint.trimEnd()}`);
  });
}

export function registerCloudReleaseCommands(cloud: Command): void {
  const release = cloud.command('release').description('signature releases: compile, sign (TUF) and log them');
  addRepoOptions(
    release
      .command('publish')
      .description('compile signature sources into the next release, with deltas, signed metadata and a log entry')
      .option('-d, --database <path>', 'signature source file or folder (repeatable)', collect, [])
      .option('--keep-deltas <n>', 'write deltas from this many previous releases (default 3)')
      .option('--origin <name>', 'transparency log origin, when this publish creates the repository (default vigil.example/updates/log)')
      .option('--root-keys <n>', 'root keys, when this publish creates the repository (default 3)')
      .option('--root-threshold <n>', 'root signatures required (default 2)'),
  ).action(guarded(publish));

  addRepoOptions(release.command('list').description('list the published releases')).action(
    guarded(async (options: RepoOptions) => {
      await withRepository(options, async (cloud, _repo, store) => {
        const releases = await cloud.listReleases(store);
        const lines = releases.map((r) => `${r.number}\t${r.createdAt}\t${r.image.length} bytes\tsha256 ${r.image.sha256}\tdeltas from ${r.deltas.map((d) => d.from).join(',') || '-'}\tlog ${r.logIndex}`);
        print(options, { releases }, releases.length === 0 ? 'No releases yet.' : lines.join('\n'));
      });
    }),
  );

  const keys = cloud.command('keys').description('the update repository keys (TUF roles)');
  addRepoOptions(
    keys
      .command('rotate')
      .description('replace the keys of a role: a new root version, signed by the old and the new root keys, in the log')
      .argument('<role>', `one of ${ROLES.join(', ')}`)
      .option('--root-keys <n>', 'root keys after a root rotation (default 3)')
      .option('--root-threshold <n>', 'root signatures required after a root rotation (default 2)'),
  ).action(
    guarded(async (role: string, options: RepoOptions) => {
      if (!(ROLES as readonly string[]).includes(role)) throw new UsageError(`no role ${role}: one of ${ROLES.join(', ')}`);
      await withRepository(options, async (_cloud, repo) => {
        const result = await repo.rotate(role as TufRole, localActor());
        print(options, { role, ...result }, `Rotated ${role}: root version ${result.rootVersion}, new key(s) ${result.keyIds.join(', ')}`);
      });
    }),
  );

  const timestamp = cloud.command('timestamp').description('the freshness of the update repository');
  addRepoOptions(timestamp.command('refresh').description('sign a new timestamp (and renew metadata about to expire); run it more often than the timestamp lifetime')).action(
    guarded(async (options: RepoOptions) => {
      await withRepository(options, async (_cloud, repo) => {
        const result = await repo.refreshTimestamp(localActor());
        print(options, result, `Timestamp version ${result.timestampVersion}, expires ${result.expires}; renewed: ${result.renewed.join(', ')}`);
      });
    }),
  );

  const repo = cloud.command('repo').description('the update repository as static files');
  repo
    .command('export')
    .description('write metadata, targets and log tiles as a folder for any static web server, with the initial trusted root.json at its top')
    .requiredOption('--out <dir>', 'folder to write (created if needed; existing files are replaced)')
    .option('--data <dir>', 'data folder (default ./vigil-data)')
    .option('--store <url>', 'PostgreSQL URL (or VIGIL_STORE)')
    .option('--json', 'print the result as JSON')
    .action(
      guarded(async (options: RepoOptions & { out: string }) => {
        await withRepository(options, async (cloud, _repo, store) => {
          const summary = await cloud.exportRepository(store, options.out);
          print(options, { out: resolve(options.out), ...summary }, `Exported ${summary.metadata} metadata files, ${summary.targets} targets and ${summary.logFiles} log files to ${resolve(options.out)}\nServe it as is; clients start from ${resolve(options.out, 'root.json')}.`);
        });
      }),
    );
}
