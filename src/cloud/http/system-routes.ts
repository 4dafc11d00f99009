/** Health and the API description: public, read-only. */
import { definePublicRoute, type AnyRoute } from './route.js';
import { buildOpenApi } from './openapi.js';

export function systemRoutes(version: string, allRoutes: () => readonly AnyRoute[]): AnyRoute[] {
  let document: Record<string, unknown> | undefined;
  return [
    definePublicRoute({
      method: 'GET',
      url: '/v1/health',
      tag: 'system',
      summary: 'Liveness',
      roles: 'public',
      rateLimited: false,
      handler: async () => ({ status: 'ok', version }),
    }),
    definePublicRoute({
      method: 'GET',
      url: '/v1/openapi.json',
      tag: 'system',
      summary: 'This API, described as OpenAPI 3.1',
      roles: 'public',
      handler: async () => (document ??= buildOpenApi(allRoutes(), version)),
    }),
  ];
}
