/** `vigil cloud`: runs the vendor cloud service, and groups its admin commands. */
import type { Command } from 'commander';
import { registerCloudAdminCommands } from './cloud-admin-command.js';
import { loadCloud } from './cloud-target.js';
import { registerCloudPolicyCommand } from './cloud-policy-command.js';
import { EXIT_ERROR, reportError, UsageError } from './exit-codes.js';
import { vigilVersion } from './version.js';

interface ServeOptions {
  data: string;
  port: string;
  host: string;
  store?: string;
  trustProxy?: string;
  rateLimit?: string;
  logLevel: string;
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port: not a port number: ${text}`);
  return port;
}

async function serve(options: ServeOptions): Promise<void> {
  const rateLimit = options.rateLimit === undefined ? undefined : Number(options.rateLimit);
  if (rateLimit !== undefined && !(Number.isInteger(rateLimit) && rateLimit > 0)) throw new UsageError(`--rate-limit: not a positive integer: ${options.rateLimit}`);
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
    },
    logger: options.logLevel === 'silent' ? false : { level: options.logLevel },
  });
  const out = process.stdout;
  out.write(`Vigil cloud listening on ${cloud.url}  (store: ${cloud.store.description})\n`);
  if (cloud.bootstrap.operatorToken) {
    out.write(`\nNew data: an operator account was created. Its token is shown this once; keep it secret:\n\n  ${cloud.bootstrap.operatorToken}\n\n`);
    out.write(`Try: curl -H "Authorization: Bearer <token>" ${cloud.url}/v1/me\n`);
  } else {
    out.write('Using existing data. A new operator token: vigil cloud token --data <dir>\n');
  }
  out.write(`API description: ${cloud.url}/v1/openapi.json\n`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`${signal}: finishing requests in flight, then closing the store...\n`);
    cloud.close().then(
      () => process.exit(0),
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
    .option('--data <dir>', 'data folder (SQLite store and settings)', 'vigil-data')
    .option('--port <n>', 'TCP port', '8080')
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--store <url>', 'PostgreSQL URL instead of SQLite (or VIGIL_STORE)')
    .option('--trust-proxy <list>', 'comma-separated addresses/CIDRs of proxies whose X-Forwarded-For is trusted')
    .option('--rate-limit <n>', 'requests per minute per token (default 600)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug or silent', 'info')
    .action(async (options: ServeOptions) => {
      try {
        await serve(options);
      } catch (e) {
        process.exitCode = reportError(e);
      }
    });
  registerCloudPolicyCommand(cloud);
  registerCloudAdminCommands(cloud);
}
