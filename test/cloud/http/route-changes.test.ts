// A route declares what it may change of the state that processes cache (`changes`), and the
// server reads it back from the request that route answered, whatever the answer: that is what
// empties the caches, not the shape of the URL.
import Fastify from 'fastify';
import { expect, it } from 'vitest';
import { HttpError } from '../../../src/cloud/http/http-error.js';
import { readRouteChanges, defineRoute, definePublicRoute, registerRoute, type RouteChange } from '../../../src/cloud/http/route.js';
import { licenseRoutes } from '../../../src/cloud/licensing/license-routes.js';
import { activationRoutes } from '../../../src/cloud/licensing/activation-routes.js';
import { policyRoutes } from '../../../src/cloud/policy/policy-routes.js';
import type { CloudServices } from '../../../src/cloud/services.js';

it('hands the server the changes of the route that answered, refusals included', async () => {
  const app = Fastify();
  app.decorateRequest('principal', null);
  app.decorateRequest('authFailure', null);
  const seen: (readonly RouteChange[])[] = [];
  app.addHook('onSend', async (request) => {
    seen.push(readRouteChanges(request));
  });
  registerRoute(app, definePublicRoute({ method: 'POST', url: '/v1/things/:id/revoke', tag: 't', summary: 's', roles: 'public', changes: ['licenses', 'activations'], handler: async () => ({ ok: true }) }));
  registerRoute(app, definePublicRoute({ method: 'POST', url: '/v1/things/:id/fail', tag: 't', summary: 's', roles: 'public', changes: ['rules'], handler: async () => { throw new HttpError(409, 'conflict', 'no'); } }));
  registerRoute(app, definePublicRoute({ method: 'POST', url: '/v1/things', tag: 't', summary: 's', roles: 'public', handler: async () => ({ ok: true }) }));
  registerRoute(app, defineRoute({ method: 'POST', url: '/v1/things/:id/guarded', tag: 't', summary: 's', roles: ['operator'], changes: ['rules'], handler: async () => ({}) }));
  for (const url of ['/v1/things/1/revoke', '/v1/things/1/fail', '/v1/things', '/v1/things/1/guarded', '/v1/nothing-here']) await app.inject({ method: 'POST', url });
  expect(seen).toEqual([['licenses', 'activations'], ['rules'], [], ['rules'], []]);
  await app.close();
});

it('is declared by every route that changes licenses, activations or rules, and by no reading route', () => {
  const s = { config: { maxPageSize: 100 } } as unknown as CloudServices;
  const routes = [...policyRoutes(s), ...licenseRoutes(s), ...activationRoutes(s)];
  const declared = routes.filter((r) => r.changes !== undefined).map((r) => `${r.method} ${r.url}`);
  expect(declared.sort()).toEqual(
    [
      'POST /v1/policy/rules',
      'POST /v1/policy/import',
      'PUT /v1/policy/rules/:ruleId',
      'DELETE /v1/policy/rules/:ruleId',
      'POST /v1/licenses/:licenseId/renew',
      'POST /v1/licenses/:licenseId/transfer',
      'POST /v1/transfers/:offerId/accept',
      'POST /v1/licenses/:licenseId/suspend',
      'POST /v1/licenses/:licenseId/resume',
      'POST /v1/licenses/:licenseId/revoke',
      'POST /v1/licenses/:licenseId/activations/:activationId/deactivate',
      'POST /v1/activations',
      'POST /v1/activations/:activationId/refresh',
      'POST /v1/activations/:activationId/deactivate',
    ].sort(),
  );
  expect(routes.filter((r) => r.method === 'GET' && r.changes !== undefined)).toEqual([]);
});
