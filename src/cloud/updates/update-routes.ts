/**
 * The update repository over HTTP. Public, unauthenticated and cacheable (DESIGN.md 5.4): the TUF
 * metadata, the targets, and the transparency log's checkpoint and tiles, byte for byte the files
 * that `vigil cloud repo export` writes, so a CDN or a static server can take over. Operators and
 * auditors: the list of releases. Operators, in a process given the update keys: publishing a
 * release from uploaded sources (release-upload.ts; the same publication as the CLI's), refreshing
 * the timestamp and rotating a role's keys.
 *
 * Who may fetch what is update-gate.ts: an activation needs the entitlement `updates` for every
 * metadata file and target and passes the policy gate on `timestamp.json` (`update`) and targets
 * (`download`); a caller without one reads metadata and the log freely and passes the gate by its
 * address on targets. Gated answers are private to the caller, and those routes answer
 * `Vary: Authorization`, so no shared cache hands one caller's answer to another.
 */
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { actorFor } from '../accounts/index.js';
import { HttpError, notFound } from '../http/index.js';
import { definePublicRoute, defineRoute, type AnyRoute } from '../http/index.js';
import type { CloudServices } from '../services.js';
import type { KeyVault } from './key-vault.js';
import { compileUploadedSources, MAX_REPORTED_PROBLEMS, RELEASE_BODY_LIMIT_BYTES, releaseUploadBody, SourceProblems, type ReleaseUpload } from './release-upload.js';
import { readLogFile, readMetadataFile, readTargetFile, type RepositoryFile } from './repository-files.js';
import { TUF_ROLES, type UpdateConfig } from './update-config.js';
import { UpdateError } from './update-error.js';
import { checkUpdatesEntitlement, gateUpdateRequest } from './update-gate.js';
import { UpdateRepository } from './update-repository.js';
import { listReleases } from './update-state.js';

/** How long caches may keep the files that change in place (timestamp.json, the checkpoint), in seconds. */
export const MUTABLE_MAX_AGE_SECONDS = 30;
const IMMUTABLE = 'public, max-age=31536000, immutable';

const fileParams = z.strictObject({ file: z.string().min(1).max(300) });

function sendFile(request: FastifyRequest, reply: FastifyReply, file: RepositoryFile | undefined, what: string, gated = false): Buffer | FastifyReply {
  if (!file) throw notFound(what);
  const etag = `"${createHash('sha256').update(file.data).digest('hex').slice(0, 32)}"`;
  const maxAge = file.immutable ? IMMUTABLE : `public, max-age=${MUTABLE_MAX_AGE_SECONDS}`;
  reply.header('cache-control', gated ? maxAge.replace('public', 'private') : maxAge);
  reply.header('etag', etag);
  reply.header('access-control-allow-origin', '*');
  if (request.headers['if-none-match'] === etag) return reply.status(304).send();
  reply.header('content-type', file.contentType);
  return file.data;
}

function asHttpError(e: unknown): never {
  if (e instanceof UpdateError) {
    if (e.code === 'NOT_INITIALISED' || e.code === 'NOT_FOUND') throw new HttpError(409, 'conflict', e.message);
    if (e.code === 'BAD_ARGUMENT' || e.code === 'BAD_SOURCES') throw new HttpError(400, 'invalid_request', e.message);
    if (e.code === 'KEY_MISSING') throw new HttpError(503, 'unavailable', e.message);
  }
  throw e;
}

/** Sources that do not compile: 400 with every problem by file and line (`error.problems`); nothing is published. */
function asSourcesError(sources: ReleaseUpload['sources']) {
  return (e: unknown): never => {
    if (!(e instanceof SourceProblems)) throw e;
    const indexOf = (file: string) => sources.findIndex((s) => file === s.name || file.startsWith(`${s.name}:`) || file.startsWith(`${s.name}/`));
    const problems = e.problems.slice(0, MAX_REPORTED_PROBLEMS);
    const details = problems.map((p) => {
      const i = indexOf(p.file);
      return { path: i < 0 ? 'body.sources' : `body.sources.${i}`, message: `${p.line > 0 ? `${p.file}:${p.line}` : p.file}: ${p.code}: ${p.message}` };
    });
    throw new HttpError(400, 'invalid_request', e.message, details, {}, { problems });
  };
}

export interface UpdateRouteOptions {
  /** The update keys; without them the operator routes that sign are not offered. */
  vault?: KeyVault;
  config?: Partial<UpdateConfig>;
  /** Largest body of `POST /v1/updates/releases`, in bytes; default RELEASE_BODY_LIMIT_BYTES (256 MiB). */
  releaseBodyLimitBytes?: number;
}

export function updateRoutes(s: CloudServices, options: UpdateRouteOptions = {}): AnyRoute[] {
  const routes: AnyRoute[] = [
    definePublicRoute({
      method: 'GET',
      url: '/v1/updates/metadata/:file',
      tag: 'updates',
      summary: 'TUF metadata: <N>.root.json, <N>.targets.json, <N>.snapshot.json, timestamp.json',
      roles: 'public',
      params: fileParams,
      produces: 'application/json',
      handler: async ({ params, principal, request, reply }) => {
        // TUF 5.4: every update starts with the timestamp, so that is where `update` is asked.
        if (params.file !== 'timestamp.json') checkUpdatesEntitlement(principal);
        const gated = params.file === 'timestamp.json' && (await gateUpdateRequest(s, principal, 'update', request, reply));
        return sendFile(request, reply, await readMetadataFile(s.store, params.file), `metadata ${params.file}`, gated);
      },
    }),
    definePublicRoute({
      method: 'GET',
      url: '/v1/updates/targets/:file',
      tag: 'updates',
      summary: 'A target (database image or delta) by its consistent-snapshot name <sha256>.<name>',
      roles: 'public',
      params: fileParams,
      produces: 'application/octet-stream',
      handler: async ({ params, principal, request, reply }) => {
        const gated = await gateUpdateRequest(s, principal, 'download', request, reply);
        return sendFile(request, reply, await readTargetFile(s.store, params.file), `target ${params.file}`, gated);
      },
    }),
    definePublicRoute({
      method: 'GET',
      url: '/v1/updates/log/checkpoint',
      tag: 'updates',
      summary: "The transparency log's latest signed checkpoint (C2SP tlog-checkpoint)",
      roles: 'public',
      produces: 'text/plain',
      handler: async ({ request, reply }) => sendFile(request, reply, await readLogFile(s.store, 'checkpoint'), 'checkpoint'),
    }),
    definePublicRoute({
      method: 'GET',
      url: '/v1/updates/log/tile/*',
      tag: 'updates',
      summary: 'A tile or entry bundle of the transparency log (C2SP tlog-tiles paths: tile/<L>/<N>[.p/<W>], tile/entries/<N>[.p/<W>])',
      roles: 'public',
      produces: 'application/octet-stream',
      handler: async ({ request, reply }) => {
        const rest = (request.params as Record<string, string | undefined>)['*'] ?? '';
        if (rest.length > 200) throw notFound('tile');
        return sendFile(request, reply, await readLogFile(s.store, `tile/${rest}`), `tile/${rest}`);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/updates/releases',
      tag: 'updates',
      summary: 'Published releases, oldest first: images, deltas, targets version, log index',
      roles: ['operator', 'auditor'],
      query: z.strictObject({ after: z.coerce.number().int().min(0).optional(), limit: z.coerce.number().int().min(1).max(s.config.maxPageSize).optional() }),
      handler: async ({ query }) => ({ releases: await listReleases(s.store, { after: query.after ?? 0, limit: query.limit ?? s.config.maxPageSize }) }),
    }),
  ];
  const vault = options.vault;
  if (vault === undefined) return routes;
  const repository = new UpdateRepository({ store: s.store, vault, ...(options.config ? { config: options.config } : {}), now: s.now });
  const repositoryKeeping = (keepDeltas: number | undefined) =>
    keepDeltas === undefined ? repository : new UpdateRepository({ store: s.store, vault, config: { ...options.config, keepDeltas }, now: s.now });
  routes.push(
    defineRoute({
      method: 'POST',
      url: '/v1/updates/releases',
      tag: 'updates',
      summary: 'Publish signature sources as the next release: compiled, with deltas, signed metadata, a log entry and an audit record, as `vigil cloud release publish` does',
      roles: ['operator'],
      body: releaseUploadBody,
      status: 201,
      bodyLimit: options.releaseBodyLimitBytes ?? RELEASE_BODY_LIMIT_BYTES,
      handler: async ({ body, principal }) => {
        // Compiled before the repository is touched: broken sources publish nothing.
        const compiled = await compileUploadedSources(body.sources).catch(asSourcesError(body.sources));
        const published = await repositoryKeeping(body.keep_deltas).publish(compiled.image, actorFor(principal, s.now()).name).catch(asHttpError);
        return { ...published, warnings: compiled.warnings };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/v1/updates/timestamp',
      tag: 'updates',
      summary: 'Sign a fresh timestamp (and renew snapshot, targets or root when they are about to expire)',
      roles: ['operator'],
      handler: async ({ principal }) => repository.refreshTimestamp(actorFor(principal, s.now()).name).catch(asHttpError),
    }),
    defineRoute({
      method: 'POST',
      url: '/v1/updates/keys/:role/rotate',
      tag: 'updates',
      summary: "Replace a role's keys: a new root version signed by the old and new root keys, logged",
      roles: ['operator'],
      params: z.strictObject({ role: z.enum(TUF_ROLES) }),
      handler: async ({ params, principal }) => repository.rotate(params.role, actorFor(principal, s.now()).name).catch(asHttpError),
    }),
  );
  return routes;
}
