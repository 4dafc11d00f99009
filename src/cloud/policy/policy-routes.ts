/** Jurisdiction rules, decisions, what-if and timeline over HTTP. */
import { z } from 'zod';
import { actorFor } from '../accounts/index.js';
import { HttpError, notFound } from '../http/index.js';
import { defineRoute, type AnyRoute } from '../http/index.js';
import { jurisdictionCode, idString, plainText } from '../http/index.js';
import type { CloudServices } from '../services.js';
import { POLICY_ACTIONS } from './actions.js';
import { decide, type PolicySubject } from './decide.js';
import { ruleInputSchema, ruleSetSchema, toPolicyRule } from './rule.js';
import { createRule, getRuleHistory, getRuleVersion, listRules, retireRule, updateRule, type RuleChangeOutcome } from './rule-store.js';
import { decodeTimelineCursor, readTimelinePage } from './timeline-page.js';
import { parseInstant } from './zoned-time.js';

const ruleParams = z.strictObject({ ruleId: idString });
const jurisdiction = jurisdictionCode;
// The same instant forms rules accept: ISO 8601 with Z or an offset, seconds optional.
const instant = z.string().max(64).refine((t) => parseInstant(t) !== null, 'an ISO 8601 instant with Z or an offset, e.g. 2024-09-29T04:00:00Z');
const READERS = ['operator', 'auditor', 'customer-admin'] as const;

function changed(outcome: RuleChangeOutcome, id: string) {
  if (outcome === 'not_found') throw notFound(`rule ${id}`);
  if (outcome === 'retired') throw new HttpError(409, 'conflict', `rule ${id} is retired; create a new rule instead`);
  return outcome;
}

export function policyRoutes(s: CloudServices): AnyRoute[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/v1/policy/rules',
      tag: 'policy',
      summary: 'Rules in force (and retired ones with include_retired=true)',
      roles: READERS,
      query: z.strictObject({ include_retired: z.enum(['true', 'false']).optional() }),
      handler: async ({ query }) => ({ rules: await listRules(s.store, query.include_retired === 'true') }),
    }),
    defineRoute({
      method: 'POST',
      url: '/v1/policy/rules',
      changes: ['rules'],
      tag: 'policy',
      summary: 'Create a rule',
      roles: ['operator'],
      status: 201,
      body: ruleInputSchema,
      handler: ({ body, principal }) => s.store.transaction((tx) => createRule(tx, body, actorFor(principal, s.now()))),
    }),
    defineRoute({
      method: 'POST',
      url: '/v1/policy/import',
      changes: ['rules'],
      tag: 'policy',
      summary: 'Create every rule of a rule set, all or none',
      roles: ['operator'],
      status: 201,
      body: ruleSetSchema,
      handler: async ({ body, principal }) => {
        const actor = actorFor(principal, s.now());
        const rules = await s.store.transaction(async (tx) => {
          const created = [];
          for (const rule of body.rules) created.push(await createRule(tx, rule, actor));
          return created;
        });
        return { name: body.name, rules };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/policy/rules/:ruleId',
      tag: 'policy',
      summary: 'A rule with every version it has had',
      roles: READERS,
      params: ruleParams,
      handler: async ({ params }) => {
        const versions = await getRuleHistory(s.store, params.ruleId);
        if (versions.length === 0) throw notFound(`rule ${params.ruleId}`);
        const last = versions[versions.length - 1]!;
        return { id: params.ruleId, current_version: last.version, retired: last.change === 'retire', rule: last.rule, versions };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/policy/rules/:ruleId/versions/:version',
      tag: 'policy',
      summary: 'One version of a rule',
      roles: READERS,
      params: z.strictObject({ ruleId: idString, version: z.coerce.number().int().min(1) }),
      handler: async ({ params }) => (await getRuleVersion(s.store, params.ruleId, params.version)) ?? Promise.reject(notFound(`rule ${params.ruleId} version ${params.version}`)),
    }),
    defineRoute({
      method: 'PUT',
      url: '/v1/policy/rules/:ruleId',
      changes: ['rules'],
      tag: 'policy',
      summary: 'Replace a rule (adds a version)',
      roles: ['operator'],
      params: ruleParams,
      body: ruleInputSchema,
      handler: async ({ params, body, principal }) => changed(await s.store.transaction((tx) => updateRule(tx, params.ruleId, body, actorFor(principal, s.now()))), params.ruleId),
    }),
    defineRoute({
      method: 'DELETE',
      url: '/v1/policy/rules/:ruleId',
      changes: ['rules'],
      tag: 'policy',
      summary: 'Retire a rule (its versions stay readable)',
      roles: ['operator'],
      params: ruleParams,
      handler: async ({ params, principal }) => changed(await s.store.transaction((tx) => retireRule(tx, params.ruleId, actorFor(principal, s.now()))), params.ruleId),
    }),
    defineRoute({
      method: 'POST',
      url: '/v1/policy/what-if',
      tag: 'policy',
      summary: 'What would be decided for this subject, action and instant (not recorded)',
      roles: READERS,
      body: z.strictObject({
        action: z.enum(POLICY_ACTIONS),
        location: jurisdiction.optional(),
        person: jurisdiction.optional(),
        product: plainText(200).min(1).optional(),
        at: instant.optional(),
      }),
      handler: async ({ body }) => {
        const subject: PolicySubject = {};
        if (body.location) subject.location = body.location;
        if (body.person) subject.person = body.person;
        if (body.product) subject.product = body.product;
        return decide(await s.rules.current(s.store), subject, body.action, body.at ? parseInstant(body.at)! : s.now());
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/policy/timeline',
      tag: 'policy',
      summary: 'Every change of decision over time for a jurisdiction, a page at a time (limit, cursor)',
      roles: READERS,
      query: z.strictObject({
        jurisdiction,
        attribute: z.enum(['location', 'person']).optional(),
        action: z.enum(POLICY_ACTIONS).optional(),
        limit: z.coerce.number().int().min(1).max(s.config.maxPageSize).optional(),
        cursor: z.string().max(200).optional(),
      }),
      handler: async ({ query }) => {
        const after = query.cursor === undefined ? null : decodeTimelineCursor(query.cursor);
        if (after === null && query.cursor !== undefined) throw new HttpError(400, 'invalid_request', 'query.cursor: not a cursor of this timeline', [{ path: 'query.cursor', message: 'not a cursor of this timeline' }]);
        const attribute = query.attribute ?? 'location';
        const page = await readTimelinePage(
          await s.rules.current(s.store),
          { jurisdiction: query.jurisdiction, attribute, ...(query.action ? { actions: [query.action] } : {}) },
          { after, limit: query.limit ?? s.config.maxPageSize },
        );
        return { jurisdiction: query.jurisdiction, attribute, ...page };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/v1/policy/decisions',
      tag: 'policy',
      summary: 'Ask the gate for an action now; the decision is recorded in the audit log',
      roles: ['endpoint', 'customer-admin', 'operator'],
      body: z.strictObject({
        action: z.enum(POLICY_ACTIONS),
        product: plainText(200).min(1).optional(),
        declared_location: jurisdictionCode.optional(),
      }),
      handler: async ({ body, principal, request }) => {
        const outcome = await s.gate.pass(
          {
            action: body.action,
            actor: actorFor(principal, s.now()).name,
            tenantId: principal.tenantId,
            personCountry: principal.tenantCountry,
            ip: request.ip,
            endpointId: principal.endpointId,
            product: body.product,
            declaredLocation: body.declared_location,
          },
          { now: s.now() },
        );
        return { ...outcome.decision, subject: outcome.subject, location_source: outcome.locationSource, audit_seq: outcome.auditSeq };
      },
    }),
  ];
}

/** Checks a rule set file before it is sent anywhere (used by the import command). */
export function checkRuleSet(input: unknown): void {
  const set = ruleSetSchema.parse(input);
  set.rules.forEach((r, i) => toPolicyRule(`rules.${i}`, 1, r));
}
