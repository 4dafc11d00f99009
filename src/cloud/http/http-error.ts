/**
 * HTTP errors and the one place that turns any error into the API's error body
 * `{ "error": { "code", "message", "details" } }` (DESIGN.md 5.4). Routes throw `HttpError`; request
 * validation throws zod errors; Fastify's own errors (body too large, malformed JSON, ...) keep their
 * status; anything else is logged and answered with a bare 500.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ZodError } from 'zod';
import { VigilError } from '../../protocol/index.js';

export type ErrorCode =
  | 'invalid_request'
  | 'malformed_json'
  | 'unsupported_media_type'
  | 'body_too_large'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'conflict'
  | 'rate_limited'
  | 'policy_denied'
  | 'license_unusable'
  | 'no_free_seat'
  | 'not_entitled'
  | 'consent_required'
  | 'unavailable'
  | 'internal';

export interface ErrorDetail {
  /** Where the problem is: `body.rules.3.until`, `query.limit`, `params.id`, `header.authorization`. */
  path: string;
  message: string;
}

export class HttpError extends VigilError {
  constructor(
    readonly statusCode: number,
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetail[] = [],
    readonly headers: Record<string, string> = {},
    /** More members of the error object, e.g. the policy decision behind a `policy_denied`. */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export function notFound(what: string): HttpError {
  return new HttpError(404, 'not_found', `${what} not found`);
}

export function forbidden(message = 'this token may not do that'): HttpError {
  return new HttpError(403, 'forbidden', message);
}

/** Turns a zod error on one part of the request into a 400 naming each offending field. */
export function validationError(part: 'body' | 'query' | 'params', error: ZodError): HttpError {
  const details = error.issues.flatMap((issue) => {
    const at = [part, ...issue.path.map(String)];
    // zod reports unknown fields once at their object; name each field instead.
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => ({ path: [...at, key].join('.'), message: `unknown field "${key}"` }));
    return [{ path: at.join('.'), message: issue.message }];
  });
  const first = details[0];
  return new HttpError(400, 'invalid_request', first ? `${first.path}: ${first.message}` : `invalid ${part}`, details);
}

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'body_too_large',
  FST_ERR_CTP_INVALID_JSON_BODY: 'malformed_json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'malformed_json',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_request',
  FST_ERR_CTP_EMPTY_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_TYPE: 'unsupported_media_type',
};

function codeForStatus(status: number): ErrorCode {
  if (status === 401) return 'unauthenticated';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 405) return 'method_not_allowed';
  if (status === 409) return 'conflict';
  if (status === 413) return 'body_too_large';
  if (status === 414) return 'invalid_request';
  if (status === 415) return 'unsupported_media_type';
  if (status === 429) return 'rate_limited';
  if (status === 503) return 'unavailable';
  return 'invalid_request';
}

/**
 * Turns an error of a service's own (thrown below the routes, such as an invalid rule) into the
 * answer, or undefined for errors it does not know. The server passes the services' translators,
 * so that this file needs none of them.
 */
export type ErrorTranslator = (error: unknown) => HttpError | undefined;

export function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply, translate: ErrorTranslator = () => undefined): FastifyReply {
  let http: HttpError;
  const translated = error instanceof HttpError ? error : translate(error);
  if (translated) http = translated;
  else if (error instanceof ZodError) http = validationError('body', error);
  else {
    const fe = error as Partial<FastifyError> & { message?: string };
    const status = typeof fe.statusCode === 'number' ? fe.statusCode : 500;
    if (status >= 400 && status < 500) {
      // JSON.parse's own message says where the syntax broke; keep it.
      const code = (fe.code ? FASTIFY_CODES[fe.code] : undefined) ?? codeForStatus(status);
      http = new HttpError(status, code, fe.message ?? code);
    } else {
      request.log.error({ err: error }, 'unhandled error');
      http = new HttpError(status === 503 ? 503 : 500, status === 503 ? 'unavailable' : 'internal', status === 503 ? 'service unavailable' : 'internal error');
    }
  }
  for (const [name, value] of Object.entries(http.headers)) reply.header(name, value);
  return reply.status(http.statusCode).send({ error: { code: http.code, message: http.message, details: http.details, ...http.extra } });
}
