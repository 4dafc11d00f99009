/**
 * One declaration per API route: method, path, who may call it, and zod schemas for its body,
 * query and path parameters. The same declaration registers the route (authenticating, then
 * validating every part with unknown fields rejected) and feeds the OpenAPI document, so the
 * documentation cannot drift from what the server checks.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteShorthandOptions } from 'fastify';
import type { ZodType } from 'zod';
import type { Principal, Role } from '../auth/index.js';
import { isUniqueViolation } from '../store/index.js';
import { HttpError, validationError } from './http-error.js';
import { findIllFormedText } from './well-formed-text.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * State that processes keep copies of (the security network's activation cache, the policy gate's
 * remembered decisions): a route that may change it says so, and the server empties those copies
 * before its answer goes out, whatever the answer.
 */
export const ROUTE_CHANGES = ['licenses', 'activations', 'rules'] as const;
export type RouteChange = (typeof ROUTE_CHANGES)[number];

export interface RouteContext<B, Q, P, Who> {
  body: B;
  query: Q;
  params: P;
  principal: Who;
  request: FastifyRequest;
  reply: FastifyReply;
}

interface RouteBase<B, Q, P, Who> {
  method: HttpMethod;
  /** Fastify path syntax: `/v1/tenants/:tenantId`. */
  url: string;
  summary: string;
  tag: string;
  body?: ZodType<B>;
  query?: ZodType<Q>;
  params?: ZodType<P>;
  /** The success body, for the OpenAPI document. */
  response?: ZodType;
  /** The success status (default 200). */
  status?: number;
  /** Non-JSON success content type, e.g. JSON lines. */
  produces?: string;
  /** False for routes that must always answer (health probes). Default true. */
  rateLimited?: boolean;
  /**
   * Largest request body of this route, in bytes, when it is not the server's `bodyLimitBytes`
   * (larger: 413). The caller's token and role are checked before such a body is read.
   */
  bodyLimit?: number;
  /** What a call may change of the state other processes' caches hold (licenses, activations, rules). */
  changes?: readonly RouteChange[];
  handler(ctx: RouteContext<B, Q, P, Who>): Promise<unknown>;
}

export interface AuthedRoute<B = unknown, Q = unknown, P = unknown> extends RouteBase<B, Q, P, Principal> {
  roles: readonly Role[];
}

export interface PublicRoute<B = unknown, Q = unknown, P = unknown> extends RouteBase<B, Q, P, Principal | null> {
  roles: 'public';
}

export type AnyRoute = AuthedRoute<any, any, any> | PublicRoute<any, any, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Identity functions that only carry types from the schemas to the handler. */
export function defineRoute<B = undefined, Q = undefined, P = undefined>(route: AuthedRoute<B, Q, P>): AnyRoute {
  return route as AnyRoute;
}
export function definePublicRoute<B = undefined, Q = undefined, P = undefined>(route: PublicRoute<B, Q, P>): AnyRoute {
  return route as AnyRoute;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route's `changes`, read back by the server (`readRouteChanges`). */
    changes?: readonly RouteChange[];
  }
  interface FastifyRequest {
    principal: Principal | null;
    /** Why a presented token was refused (for logs); the route answers 401. */
    authFailure: string | null;
  }
}

function parsePart<T>(part: 'body' | 'query' | 'params', schema: ZodType<T> | undefined, value: unknown): T {
  const illFormed = findIllFormedText(value);
  if (illFormed !== null) {
    const path = [part, ...illFormed.path].join('.');
    const message = illFormed.inName ? 'the field name is not well-formed Unicode (a lone surrogate)' : 'not well-formed Unicode (a lone surrogate)';
    throw new HttpError(400, 'invalid_request', `${path}: ${message}`, [{ path, message }]);
  }
  if (!schema) {
    // A route without a body schema takes no body at all.
    if (part === 'body' && value !== undefined && value !== null) throw new HttpError(400, 'invalid_request', 'this endpoint takes no request body', [{ path: 'body', message: 'unexpected body' }]);
    return undefined as T;
  }
  const result = schema.safeParse(value ?? (part === 'body' ? undefined : {}));
  if (!result.success) throw validationError(part, result.error);
  return result.data;
}

/** 401 for a refused or missing token, 403 for a role the route does not allow. */
function checkCaller(route: AnyRoute, request: FastifyRequest): void {
  if (request.authFailure !== null) {
    throw new HttpError(401, 'unauthenticated', 'the bearer token is invalid, expired or revoked', [{ path: 'header.authorization', message: 'invalid token' }], { 'www-authenticate': 'Bearer error="invalid_token"' });
  }
  if (route.roles !== 'public') {
    const principal = request.principal;
    if (!principal) throw new HttpError(401, 'unauthenticated', 'a bearer token is required', [{ path: 'header.authorization', message: 'missing' }], { 'www-authenticate': 'Bearer' });
    if (!route.roles.includes(principal.role)) throw new HttpError(403, 'forbidden', `role ${principal.role} may not ${route.method} ${route.url}`);
  }
}

/**
 * The one mapping of a store's unique-constraint violation to 409 `conflict`, for every route: two
 * requests that both pass a route's "does it exist?" check and both insert end as one 201 and one
 * 409, never a 500. Other errors pass through unchanged.
 */
function answerUniqueViolation(error: unknown): never {
  if (isUniqueViolation(error)) throw new HttpError(409, 'conflict', 'a record with the same unique value exists');
  throw error;
}

export function registerRoute(app: FastifyInstance, route: AnyRoute): void {
  // A route that takes large bodies refuses a caller before reading (and buffering) the body.
  const bodyOptions: Pick<RouteShorthandOptions, 'bodyLimit' | 'preParsing'> = {};
  if (route.bodyLimit !== undefined) {
    bodyOptions.bodyLimit = route.bodyLimit;
    bodyOptions.preParsing = async (request) => {
      checkCaller(route, request);
    };
  }
  const config = { roles: route.roles, ...(route.rateLimited === false ? { rateLimit: false as const } : {}), ...(route.changes ? { changes: route.changes } : {}) };
  app.route({
    method: route.method,
    url: route.url,
    config,
    ...bodyOptions,
    handler: async (request, reply) => {
      checkCaller(route, request);
      // AnyRoute erases each route's schema types: every part is checked by its zod schema right here.
      /* eslint-disable @typescript-eslint/no-unsafe-assignment */
      const ctx = {
        params: parsePart('params', route.params, request.params),
        query: parsePart('query', route.query, request.query),
        body: parsePart('body', route.body, request.body),
        /* eslint-enable @typescript-eslint/no-unsafe-assignment */
        principal: request.principal,
        request,
        reply,
      };
      const result = await (route.handler as (c: typeof ctx) => Promise<unknown>)(ctx).catch(answerUniqueViolation);
      if (reply.sent) return reply;
      reply.status(route.status ?? 200);
      return result;
    },
  });
}

/** What the route that answered `request` declared it may change (nothing for unknown routes). */
export function readRouteChanges(request: FastifyRequest): readonly RouteChange[] {
  return request.routeOptions.config.changes ?? [];
}
