/**
 * The security network over HTTP (docs/network.md). Agents, authenticated by their activation and
 * entitled to `network`: consent, event batches (gate `telemetry.collect`) and reputation look-ups
 * by hash prefix (gate `reputation.lookup`). Operators: verdicts by hand; operators and auditors:
 * what is known of a hash, and a country's events; operators: deleting a country's events.
 */
import { Readable } from 'node:stream';
import { z } from 'zod';
import { actorFor } from '../accounts/index.js';
import { appendAudit } from '../audit/index.js';
import { HttpError, notFound } from '../http/index.js';
import { defineRoute, type AnyRoute } from '../http/index.js';
import { plainText } from '../http/index.js';
import { buildActivationRequest, type GateRequest } from '../policy/index.js';
import type { CloudServices } from '../services.js';
import { CONSENT_CATEGORIES, consentedCategories, currentConsent, recordConsent } from './consent.js';
import { categoryOf, consentBody, eventBatch, lookupBody, sha256Hex } from './event-schema.js';
import { storeBatch } from './ingest.js';
import { countCountryEvents, deleteCountryData, readCountryEvents } from './jurisdiction-data.js';
import { lookupBuckets, prefixCost } from './lookup.js';
import type { NetworkCaller } from './activation-cache.js';
import type { NetworkRuntime } from './network-runtime.js';
import { setOperatorVerdict, summarizeHash } from './operator-verdicts.js';
import { VERDICTS } from './verdict.js';

const AGENT = ['endpoint'] as const;
const countryQuery = z.strictObject({ country: z.string().regex(/^[A-Z]{2}$/, 'an ISO 3166-1 alpha-2 country code in capitals, e.g. US') });
const hashParams = z.strictObject({ sha256: sha256Hex });

const consentOut = z.object({ enabled: z.boolean(), categories: z.array(z.enum(CONSENT_CATEGORIES)), recorded_at: z.string().nullable() });
const batchOut = z.object({ batch_id: z.string(), accepted: z.number(), duplicate: z.boolean() });
const lookupOut = z.object({
  cache_seconds: z.number(),
  results: z.array(z.object({ prefix: z.string(), hashes: z.array(z.object({ sha256: z.string(), verdict: z.enum(VERDICTS), source: z.string(), detection_names: z.array(z.string()) })) })),
});

function rateLimited(what: string, retryAfterSeconds: number): HttpError {
  return new HttpError(429, 'rate_limited', `${what}; retry in ${retryAfterSeconds} s`, [], { 'retry-after': String(retryAfterSeconds) });
}

/** 403 for events of categories this machine has not consented to share; nothing is stored. */
function consentRequired(missing: readonly { i: number; category: string }[]): HttpError {
  const categories = [...new Set(missing.map((m) => m.category))];
  const details = categories.map((c) => ({ path: `body.events.${missing.find((m) => m.category === c)!.i}.kind`, message: `no consent to share ${c}` }));
  return new HttpError(403, 'consent_required', `this machine has not consented to share ${categories.join(' and ')}; nothing was stored`, details, {}, { categories });
}

/** A network request at the gate: the activation's subject, decisions remembered for a few seconds (policy/decision-cache.ts). */
function buildNetworkRequest(caller: NetworkCaller, action: 'telemetry.collect' | 'reputation.lookup', ip: string): GateRequest {
  const who = { activationId: caller.activationId, tenantId: caller.principal.tenantId, tenantCountry: caller.principal.tenantCountry, product: caller.product };
  return { ...buildActivationRequest(who, action, ip), remember: true };
}

export function networkRoutes(s: CloudServices, network: NetworkRuntime): AnyRoute[] {
  return [
    defineRoute({
      method: 'PUT',
      url: '/v1/network/consent',
      tag: 'network',
      summary: "Record this machine's consent to the security network (withdrawing too); the history is kept",
      roles: AGENT,
      body: consentBody,
      response: consentOut,
      handler: async ({ body, principal }) => {
        const caller = await network.callerOf(principal);
        return s.store.transaction((tx) => recordConsent(tx, caller.pseudonym, body.enabled, body.categories, principal.tenantId, actorFor(principal, s.now())));
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/network/consent',
      tag: 'network',
      summary: "This machine's current consent",
      roles: AGENT,
      response: consentOut,
      handler: async ({ principal }) => currentConsent(s.store, (await network.callerOf(principal)).pseudonym),
    }),
    defineRoute({
      method: 'POST',
      url: '/v1/network/events',
      tag: 'network',
      summary: 'Report a batch of detections and unknown executables, once per batch_id (gate: telemetry.collect)',
      roles: AGENT,
      body: eventBatch,
      response: batchOut,
      handler: async ({ body, principal, request }) => {
        const caller = await network.callerOf(principal);
        const now = s.now();
        const budget = network.batches.take(caller.activationId, 1, now.getTime());
        if (!budget.ok) throw rateLimited(`this machine sent more than ${budget.limit} batches in a minute`, budget.retryAfterSeconds);
        // Consent first (nothing is decided about a batch that may not be stored), then the gate; the
        // decision is recorded in the transaction that stores the batch.
        const outcome = await s.gate.run(
          'collecting telemetry',
          async (tx) => {
            const consented = consentedCategories(await currentConsent(tx, caller.pseudonym));
            const missing = body.events.flatMap((e, i) => (consented.has(categoryOf(e)) ? [] : [{ i, category: categoryOf(e) }]));
            if (missing.length > 0) throw consentRequired(missing);
            return [buildNetworkRequest(caller, 'telemetry.collect', request.ip)];
          },
          async (tx, [gate]) => {
            const country = gate!.locationSource === 'ip' ? (gate!.subject.location ?? null) : null;
            return { stored: await storeBatch(tx, body.events, { endpoint: caller.pseudonym, batchId: body.batch_id, country, receivedAt: now }) };
          },
          { now },
        );
        if (outcome.stored.status === 'conflict') {
          throw new HttpError(409, 'conflict', `batch ${body.batch_id} was already received with other content; a new batch needs a new batch_id`, [{ path: 'body.batch_id', message: 'reused for other content' }]);
        }
        const { notices } = outcome;
        return { batch_id: body.batch_id, accepted: outcome.stored.accepted, duplicate: outcome.stored.status === 'duplicate', ...(notices ? { notices } : {}) };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/v1/network/lookups',
      tag: 'network',
      summary: 'Reputation of hash prefixes: every hash with a verdict in each bucket (gate: reputation.lookup)',
      roles: AGENT,
      body: lookupBody,
      response: lookupOut,
      handler: async ({ body, principal, request }) => {
        const caller = await network.callerOf(principal);
        const now = s.now();
        const gate = await s.gate.check(buildNetworkRequest(caller, 'reputation.lookup', request.ip), 'looking up reputations', { now });
        const prefixes = [...new Set(body.prefixes)];
        const budget = network.lookups.take(caller.activationId, prefixes.reduce((sum, p) => sum + prefixCost(p), 0), now.getTime());
        if (!budget.ok) throw rateLimited(`look-ups are limited to ${budget.limit} prefixes an hour (a 4-byte prefix counts 1, shorter ones the 4-byte buckets they cover)`, budget.retryAfterSeconds);
        const results = await lookupBuckets(s.store, network.buckets, prefixes, s.config.networkDetectionQuorum);
        return { cache_seconds: s.config.networkLookupCacheSeconds, results, ...(gate.notice ? { notices: [gate.notice] } : {}) };
      },
    }),
    defineRoute({
      method: 'PUT',
      url: '/v1/network/verdicts/:sha256',
      tag: 'network',
      summary: "Put a hash on the operator's deny list (malicious) or allow list (clean), or take it off (none); audited",
      roles: ['operator'],
      params: hashParams,
      body: z.strictObject({ verdict: z.enum([...VERDICTS, 'none']), reason: plainText(1000).trim().min(1) }),
      handler: async ({ params, body, principal }) => {
        await s.store.transaction((tx) => setOperatorVerdict(tx, params.sha256, body.verdict, body.reason, actorFor(principal, s.now())));
        return (await summarizeHash(s.store, params.sha256, s.config.networkDetectionQuorum)) ?? emptySummary(params.sha256);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/network/hashes/:sha256',
      tag: 'network',
      summary: 'What the network knows of a hash: prevalence, first and last seen, countries, names, verdict and its source',
      roles: ['operator', 'auditor'],
      params: hashParams,
      handler: async ({ params }) => {
        const summary = await summarizeHash(s.store, params.sha256, s.config.networkDetectionQuorum);
        if (!summary) throw notFound(`hash ${params.sha256}`);
        return summary;
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/network/export',
      tag: 'network',
      summary: "A country's stored events as JSON lines (audited network.export)",
      roles: ['operator', 'auditor'],
      query: countryQuery,
      produces: 'application/x-ndjson',
      handler: async ({ query, principal, reply }) => {
        const now = s.now();
        // A consistent cut: the events stored when the export was asked for, and a record saying so.
        const { events, lastId } = await countCountryEvents(s.store, query.country);
        await s.store.transaction((tx) => appendAudit(tx, { kind: 'network.export', actor: actorFor(principal, now).name, tenant: null, data: { country: query.country, events } }, now));
        reply.header('x-vigil-events', String(events));
        reply.type('application/x-ndjson');
        async function* lines() {
          for await (const event of readCountryEvents(s.store, query.country, lastId)) yield `${JSON.stringify(event)}\n`;
        }
        return reply.send(Readable.from(lines()));
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/v1/network/data',
      tag: 'network',
      summary: "Delete a country's stored events and rebuild the hashes they touched (audited network.delete)",
      roles: ['operator'],
      query: countryQuery,
      handler: async ({ query, principal }) => s.store.transaction((tx) => deleteCountryData(tx, query.country, actorFor(principal, s.now()))),
    }),
  ];
}

function emptySummary(sha256: string) {
  return { sha256, prevalence: 0, detecting_endpoints: 0, reports: 0, first_seen: null, last_seen: null, countries: [], detection_names: [], verdict: null, verdict_source: null, operator_verdict: null };
}
