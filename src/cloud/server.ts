/**
 * The cloud HTTP service: Fastify with one error shape, bearer-token authentication on every
 * non-public route, per-token rate limits, and the routes of each area. `buildCloudServer` makes
 * an app for in-process tests (`app.inject`); `startCloudServer` also listens and wires graceful
 * shutdown: Fastify stops accepting, in-flight requests finish, then the store is closed.
 */
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { accountRoutes } from './accounts/index.js';
import { authenticate } from './accounts/index.js';
import { authenticateActivation } from './licensing/index.js';
import { auditRoutes } from './audit/index.js';
import { DEFAULT_CONFIG, type CloudConfig, type Clock } from './config.js';
import { HttpError, sendError } from './http/index.js';
import { readRouteChanges, registerRoute, type AnyRoute } from './http/index.js';
import { systemRoutes } from './http/index.js';
import { buildLoggerOptions, limitConnections } from './http/index.js';
import { PolicyGate } from './policy/index.js';
import { policyErrorAsHttp } from './policy/index.js';
import { ActiveRules } from './policy/index.js';
import { policyRoutes } from './policy/index.js';
import { licenseRoutes } from './licensing/index.js';
import { activationRoutes } from './licensing/index.js';
import { generateSigningKey, type LicenseSigningKey } from './licensing/index.js';
import { generateNetworkKey, NetworkRuntime, networkRoutes } from './network/index.js';
import type { CloudServices } from './services.js';
import { updateRoutes, type KeyVault } from './updates/index.js';
import type { Store } from './store/index.js';

export interface CloudServerOptions {
  store: Store;
  config?: Partial<CloudConfig>;
  now?: Clock;
  version?: string;
  /** Signs license files; a fresh key when absent (tests). */
  licenseKey?: LicenseSigningKey;
  /** Keys the security network's endpoint pseudonyms; a fresh key when absent (tests). */
  networkKey?: Buffer;
  logger?: FastifyServerOptions['logger'];
  /** The update signing keys (data folder keys/updates/); without them the routes that sign are not offered. */
  updateKeys?: KeyVault;
}

export async function buildCloudServer(options: CloudServerOptions): Promise<FastifyInstance> {
  const config: CloudConfig = { ...DEFAULT_CONFIG, ...options.config };
  const shared = { store: options.store, rules: new ActiveRules(), config, now: options.now ?? (() => new Date()), version: options.version ?? '0.0.0', licenseKey: options.licenseKey ?? generateSigningKey(), networkKey: options.networkKey ?? generateNetworkKey() };
  const services: CloudServices = { ...shared, gate: new PolicyGate(shared) };
  const network = new NetworkRuntime(services);
  const app = Fastify({
    // No client address, port, forwarded-for or host name in any log line (docs/privacy.md).
    logger: buildLoggerOptions(options.logger),
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustedProxies.length > 0 ? config.trustedProxies : false,
    // Requests that arrive while closing are refused below, in the API's error shape.
    return503OnClosing: false,
    // Bad URLs and over-long path parameters (414) get the same error body as everything else.
    frameworkErrors: (error, request, reply) => {
      void sendError(error, request, reply, policyErrorAsHttp);
    },
  });
  // Per-address and total connection caps, counted on sockets before any HTTP parsing.
  limitConnections(app.server, { maxConnections: config.maxConnections, maxConnectionsPerAddress: config.maxConnectionsPerAddress, retryAfterSeconds: config.connectionRetryAfterSeconds, trustedProxies: config.trustedProxies });
  app.decorateRequest('principal', null);
  app.decorateRequest('authFailure', null);
  // Once closing, answers end their connection: a keep-alive client with a request in flight would
  // otherwise hold the server open until its idle timeout (72 s), well past any orchestrator's grace.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  // JSON only: a text body is 415, not a string that fails validation.
  app.removeContentTypeParser(['text/plain']);
  app.setErrorHandler((error, request, reply) => sendError(error, request, reply, policyErrorAsHttp));
  app.setNotFoundHandler((request, reply) => sendError(new HttpError(404, 'not_found', `no route ${request.method} ${request.url.split('?')[0]!}`), request, reply));

  // Authentication runs first, for every request that carries a token, so rate limiting can key on
  // the token. A refused token is not answered here: the rate limit (keyed on the address then)
  // comes first, so guessing tokens is limited too; the route then answers 401.
  // (One hook each for requests and answers: every hook is a step on every request's path.)
  app.addHook('onRequest', async (request) => {
    if (closing) throw new HttpError(503, 'unavailable', 'the service is shutting down; retry shortly', [], { 'retry-after': '5' });
    const header = request.headers.authorization;
    if (header === undefined) return;
    const bearer = /^Bearer (\S+)$/.exec(header);
    const activation = /^Activation (act_[A-Za-z0-9_-]{1,40})\.([A-Za-z0-9_-]{1,100})$/.exec(header);
    // The security network's routes take activations through a short-lived cache (network/activation-cache.ts).
    const result = bearer
      ? await authenticate(services.store, bearer[1]!, services.now())
      : activation
        ? request.url.startsWith('/v1/network/')
          ? await network.activations.authenticate(activation[1]!, activation[2]!)
          : await authenticateActivation(services.store, activation[1]!, activation[2]!, services.now())
        : 'malformed';
    if (typeof result === 'string') {
      request.log.info({ reason: result }, 'token refused');
      request.authFailure = result;
    } else request.principal = result;
  });

  // A request to a route that may change licenses, activations or rules (its `changes`) empties the
  // caches of the network and of the gate before its answer goes out, so a client that saw the
  // answer never meets the old state here.
  app.addHook('onSend', (request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close');
    if (readRouteChanges(request).length > 0) {
      network.invalidate();
      services.gate.invalidate();
    }
    done(null, payload);
  });

  await app.register(rateLimit, {
    global: true,
    max: config.rateLimitMax,
    timeWindow: config.rateLimitWindowMs,
    hook: 'onRequest',
    keyGenerator: (request) => (request.principal ? `token:${request.principal.tokenId}` : `ip:${request.ip}`),
    errorResponseBuilder: (_request, context) => new HttpError(429, 'rate_limited', `rate limit of ${context.max} requests exceeded; retry in ${context.after}`),
  });

  const routes: AnyRoute[] = [];
  routes.push(...systemRoutes(services.version, () => routes), ...accountRoutes(services), ...policyRoutes(services), ...auditRoutes(services), ...licenseRoutes(services), ...activationRoutes(services), ...networkRoutes(services, network));
  routes.push(...updateRoutes(services, options.updateKeys ? { vault: options.updateKeys } : {}));
  for (const route of routes) registerRoute(app, route);
  await app.ready();
  return app;
}
