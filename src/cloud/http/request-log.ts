/**
 * What the request log may hold. docs/privacy.md promises that client addresses are not kept, so
 * the log's serializers name the request by method, path and id only: no peer address or port, no
 * `X-Forwarded-For`, no `Host`, no query string, and the log lines carry no machine host name.
 * Every logger the server makes goes through `buildLoggerOptions`, so no route can add them back
 * through `request.log`.
 */
import type { FastifyServerOptions } from 'fastify';

type LoggerOption = FastifyServerOptions['logger'];
type LoggerSetting = Exclude<LoggerOption, undefined>;

interface LoggedRequest {
  method?: string;
  url?: string;
  id?: string;
}

interface LoggedReply {
  statusCode?: number;
}

/** The request as logged: method, path without its query, request id. */
export function serializeRequest(request: LoggedRequest): Record<string, unknown> {
  return { method: request.method, url: (request.url ?? '').split('?')[0], id: request.id };
}

export function serializeReply(reply: LoggedReply): Record<string, unknown> {
  return { statusCode: reply.statusCode };
}

/** The logger settings with Vigil's serializers and base; false stays false. */
export function buildLoggerOptions(logger: LoggerOption): LoggerSetting {
  if (logger === undefined || logger === false) return false;
  const given = logger === true ? {} : logger;
  return { ...given, base: { pid: process.pid }, serializers: { ...given.serializers, req: serializeRequest, res: serializeReply } };
}
