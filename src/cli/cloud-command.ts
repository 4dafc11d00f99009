/** `vigil cloud`: runs the vendor cloud service, and groups its admin commands. */
import { closeSync, openSync, writeSync } from 'node:fs';
import { Option, type Command } from 'commander';
import type { FirstTokenDelivery } from '../cloud/index.js';
import { registerCloudAdminCommands } from './cloud-admin-command.js';
import { loadCloud } from './cloud-target.js';
import { registerCloudPolicyCommand } from './cloud-policy-command.js';
import { registerCloudReleaseCommands } from './cloud-release-command.js';
import { EXIT_CLEAN, EXIT_ERROR, reportError, UsageError } from './exit-codes.js';
import { vigilVersion } from './version.js';

interface ServeOptions {
  data: string;
  port: string;
  host: string;
  store?: string;
  trustProxy?: string;
  rateLimit?: string;
  bodyLimit?: string;
  maxConnections?: string;
  maxConnectionsPerAddress?: string;
  tokenFile?: string;
  logLevel: string;
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port: not a port number: ${text}`);
  return port;
}

function positiveInteger(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!(Number.isSafeInteger(n) && n > 0)) throw new UsageError(`${flag}: not a positive integer: ${text}`);
  return n;
}

/** Where the token of a first start is shown, and what the banner says about it. */
interface TokenDestination {
  delivery: FirstTokenDelivery;
  /** The banner's line when the token was created. */
  told: string;
  close(): void;
}

/**
 * The first operator token goes to the terminal that started the server, never to standard output
 * or the log (which may be collected): to the file named by --token-file (created, mode 0600),
 * else to the controlling terminal (/dev/tty); with neither, no token is created.
 */
function chooseTokenDestination(tokenFile: string | undefined, recovery: string): TokenDestination {
  if (tokenFile !== undefined) {
    return {
      delivery: (token) => {
        // 'wx': a new file only, never one that exists (or a link planted in its place).
        const fd = openSync(tokenFile, 'wx', 0o600);
        try {
          writeSync(fd, `${token}\n`);
        } finally {
          closeSync(fd);
        }
      },
      told: `Its token was written to ${tokenFile} (mode 0600), this once; keep it secret.`,
      close: () => undefined,
    };
  }
  let tty: number | undefined;
  try {
    tty = openSync('/dev/tty', 'w');
  } catch {
    tty = undefined;
  }
  if (tty === undefined) {
    return { delivery: 'none', told: `No terminal to show a token on (and no --token-file), so none was made: ${recovery}`, close: () => undefined };
  }
  const fd = tty;
  let open = true;
  return {
    delivery: (token) => {
      writeSync(fd, `\nThe operator token, shown this once on this terminal (not on standard output); keep it secret:\n\n  ${token}\n\n`);
    },
    told: 'Its token was shown on this terminal only, this once; keep it secret.',
    close: () => {
      if (open) closeSync(fd);
      open = false;
    },
  };
}

async function serve(options: ServeOptions): Promise<void> {
  const rateLimit = positiveInteger('--rate-limit', options.rateLimit);
  const bodyLimit = positiveInteger('--body-limit', options.bodyLimit);
  const maxConnections = positiveInteger('--max-connections', options.maxConnections);
  const maxConnectionsPerAddress = positiveInteger('--max-connections-per-address', options.maxConnectionsPerAddress);
  const recovery = `vigil cloud token ${options.store ?? process.env.VIGIL_STORE ? '--store <url>' : `--data ${options.data}`}`;
  const destination = chooseTokenDestination(options.tokenFile, recovery);
  const { startCloudService } = await loadCloud();
  const cloud = await startCloudService({
    firstToken: destination.delivery,
    dataDir: options.data,
    storeUrl: options.store ?? process.env.VIGIL_STORE,
    host: options.host,
    port: parsePort(options.port),
    version: vigilVersion(),
    config: {
      ...(options.trustProxy ? { trustedProxies: options.trustProxy.split(',').map((s) => s.trim()).filter(Boolean) } : {}),
      ...(rateLimit ? { rateLimitMax: rateLimit } : {}),
      ...(bodyLimit ? { bodyLimitBytes: bodyLimit } : {}),
      ...(maxConnections ? { maxConnections } : {}),
      ...(maxConnectionsPerAddress ? { maxConnectionsPerAddress } : {}),
    },
    logger: options.logLevel === 'silent' ? false : { level: options.logLevel },
  }).finally(() => destination.close());
  const out = process.stdout;
  out.write(`Vigil cloud listening on ${cloud.url}  (store: ${cloud.store.description})\n`);
  if (cloud.bootstrap.created) {
    out.write(`New data: an operator account was created. ${destination.told}\n`);
    out.write(`Try: curl -H "Authorization: Bearer <token>" ${cloud.url}/v1/me\n`);
  } else {
    out.write(`Using existing data. A new operator token: ${recovery}\n`);
  }
  out.write(`API description: ${cloud.url}/v1/openapi.json\n`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`${signal}: finishing requests in flight, then closing the store...\n`);
    cloud.close().then(
      () => process.exit(EXIT_CLEAN),
      (e: unknown) => {
        process.stderr.write(`ERROR while stopping: ${(e as Error).message}\n`);
        process.exit(EXIT_ERROR);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

export function registerCloudCommand(program: Command): void {
  const cloud = program
    .command('cloud')
    .description('run the vendor cloud (HTTP API on SQLite or PostgreSQL), or administer it')
    .option('--data <dir>', 'data folder (holds the SQLite store vigil.sqlite)', 'vigil-data')
    .option('--port <n>', 'TCP port', '8080')
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--store <url>', 'PostgreSQL URL instead of SQLite (or VIGIL_STORE)')
    .option('--trust-proxy <list>', 'comma-separated addresses/CIDRs of proxies whose X-Forwarded-For is trusted')
    .option('--rate-limit <n>', 'requests per minute per token, or per address without one (default 600)')
    .option('--body-limit <bytes>', 'largest request body accepted (default 1048576)')
    .option('--max-connections <n>', 'connections open at once, in all (default: below the descriptor limit, ulimit -n)')
    .option('--max-connections-per-address <n>', 'connections open at once from one address (default 64)')
    .option('--token-file <path>', 'on new data, write the operator token to this new file (mode 0600) instead of the terminal')
    .addOption(new Option('--log-level <level>', 'request log on standard output').choices(['fatal', 'error', 'warn', 'info', 'debug', 'silent']).default('info'))
    .action(async (options: ServeOptions) => {
      try {
        await serve(options);
      } catch (e) {
        process.exitCode = reportError(e);
      }
    });
  registerCloudPolicyCommand(cloud);
  registerCloudAdminCommands(cloud);
  registerCloudReleaseCommands(cloud);
}
