/** `vigil cloud`: runs the vendor cloud service, and groups its admin commands. */
import { Option, type Command } from 'commander';
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

async function serve(options: ServeOptions): Promise<void> {
  const rateLimit = positiveInteger('--rate-limit', options.rateLimit);
  const bodyLimit = positiveInteger('--body-limit', options.bodyLimit);
  const { startCloudService } = await loadCloud();
  const cloud = await startCloudService({
    dataDir: options.data,
    storeUrl: options.store ?? process.env.VIGIL_STORE,
    host: options.host,
    port: parsePort(options.port),
    version: vigilVersion(),
    config: {
      ...(options.trustProxy ? { trustedProxies: options.trustProxy.split(',').map((s) => s.trim()).filter(Boolean) } : {}),
      ...(rateLimit ? { rateLimitMax: rateLimit } : {}),
      ...(bodyLimit ? { bodyLimitBytes: bodyLimit } : {}),
    },
    logger: options.logLevel === 'silent' ? false : { level: options.logLevel },
  });
  const out = process.stdout;
  out.write(`Vigil cloud listening on ${cloud.url}  (store: ${cloud.store.description})\n`);
  if (cloud.bootstrap.operatorToken) {
    out.write(`\nNew data: an operator account was created. Its token is shown this once; keep it secret:\n\n  ${cloud.bootstrap.operatorToken}\n\n`);
    out.write(`Try: curl -H "Authorization: Bearer <token>" ${cloud.url}/v1/me\n`);
  } else {
    out.write(`Using existing data. A new operator token: vigil cloud token ${options.store ?? process.env.VIGIL_STORE ? '--store <url>' : `--data ${options.data}`}\n`);
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
    .addOption(new Option('--log-level <level>', 'request log on stderr').choices(['fatal', 'error', 'warn', 'info', 'debug', 'silent']).default('info'))
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
