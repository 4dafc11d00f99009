/** Runs the cloud: opens and migrates the store, bootstraps the vendor, listens, and shuts down cleanly. */
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { ensureVendor, type Bootstrap, type FirstTokenDelivery } from './bootstrap.js';
import { DEFAULT_CONFIG, type CloudConfig } from './config.js';
import { loadOrCreateSigningKey } from './licensing/index.js';
import { loadOrCreateNetworkKey } from './network/index.js';
import { buildCloudServer } from './server.js';
import { openStore } from './store/index.js';
import { KeyVault } from './updates/index.js';
import type { Store } from './store/index.js';

export interface CloudServiceOptions {
  dataDir: string;
  storeUrl?: string | undefined;
  host: string;
  port: number;
  config?: Partial<CloudConfig>;
  version: string;
  logger?: FastifyServerOptions['logger'];
  /** Where the token of a first start goes (bootstrap.ts); `'return'` (in `bootstrap`) by default. */
  firstToken?: FirstTokenDelivery;
}

export interface RunningCloud {
  app: FastifyInstance;
  store: Store;
  url: string;
  bootstrap: Bootstrap;
  /** Stops accepting, lets in-flight requests finish, closes the store. Safe to call twice. */
  close(): Promise<void>;
}

export async function startCloudService(options: CloudServiceOptions): Promise<RunningCloud> {
  const store = await openStore({ dataDir: options.dataDir, url: options.storeUrl });
  let app: FastifyInstance | undefined;
  try {
    const config = { ...DEFAULT_CONFIG, ...options.config };
    app = await buildCloudServer({ store, config, version: options.version, logger: options.logger, licenseKey: loadOrCreateSigningKey(options.dataDir), networkKey: loadOrCreateNetworkKey(options.dataDir), updateKeys: new KeyVault(options.dataDir) });
    await app.listen({ host: options.host, port: options.port });
    // Only once listening: a start that fails (port taken) must not use up the one-time token.
    const bootstrap = await ensureVendor(store, new Date(), config.tokenLifetimeDays, options.firstToken);
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : options.port;
    const host = options.host.includes(':') ? `[${options.host}]` : options.host;
    let closing: Promise<void> | undefined;
    const running = app;
    return {
      app,
      store,
      url: `http://${host}:${port}`,
      bootstrap,
      close: () =>
        (closing ??= (async () => {
          await running.close();
          await store.close();
        })()),
    };
  } catch (e) {
    await app?.close().catch(() => undefined);
    await store.close();
    throw e;
  }
}
