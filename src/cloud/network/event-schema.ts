/**
 * What an endpoint may send to the security network, as zod schemas (the route declarations use
 * them, so the OpenAPI document shows them too). The format itself, its limits and patterns, is
 * defined once in protocol/network-event.ts, protocol/network-consent.ts and protocol/hash-prefix.ts;
 * these schemas are built from them, so that a refusal names every offending field's path. An event
 * names a file by its SHA-256 and size and says what the engine made of it; there is no field for
 * contents, paths, file or user names, and unknown fields are refused, so none can be slipped in.
 */
import { z } from 'zod';
import {
  CONSENT_CATEGORIES,
  EVENT_TEXT_LIMITS,
  HASH_PREFIX_RE,
  MAX_EVENTS_PER_BATCH,
  MAX_PREFIXES_PER_LOOKUP,
  SHA256_HEX_RE,
  categoryOfKind,
  type ConsentCategory,
  type NetworkEvent as WireNetworkEvent,
} from '../../protocol/index.js';
import { plainText } from '../http/index.js';

export { MAX_EVENTS_PER_BATCH, MAX_PREFIXES_PER_LOOKUP };

// A lone surrogate passes as a "character" but is no Unicode text: PostgreSQL refuses it in JSON.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const text = (field: keyof typeof EVENT_TEXT_LIMITS) =>
  plainText(EVENT_TEXT_LIMITS[field].max)
    .min(EVENT_TEXT_LIMITS[field].min)
    .refine((s) => !LONE_SURROGATE.test(s), 'must be well-formed Unicode text');

export const sha256Hex = z.string().regex(SHA256_HEX_RE, 'a SHA-256: 64 lowercase hex digits');
/** 2 to 8 bytes of a SHA-256 in lowercase hex; 4 bytes (8 digits) is the default. */
export const hashPrefix = z.string().regex(HASH_PREFIX_RE, 'a hash prefix: 4 to 16 lowercase hex digits, an even number');

const common = {
  sha256: sha256Hex,
  size: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  file_type: text('file_type'),
  engine: text('engine'),
  database: text('database'),
  // Normalised to UTC with milliseconds, so stored instants compare as text.
  seen_at: z.iso.datetime({ offset: true }).transform((s) => new Date(s).toISOString()),
};

export const networkEvent = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('detection'), ...common, detection: text('detection') }),
  z.strictObject({ kind: z.literal('unknown-executable'), ...common, detection: z.null() }),
]);
export type NetworkEvent = z.output<typeof networkEvent>;

export const eventBatch = z.strictObject({
  // Compared in lower case: a retry that changes the case is the same batch.
  batch_id: z.uuid().transform((s) => s.toLowerCase()),
  events: z.array(networkEvent).min(1).max(MAX_EVENTS_PER_BATCH),
});

export const consentBody = z.strictObject({
  enabled: z.boolean(),
  categories: z.array(z.enum(CONSENT_CATEGORIES)).max(CONSENT_CATEGORIES.length),
});

export const lookupBody = z.strictObject({
  prefixes: z.array(hashPrefix).min(1).max(MAX_PREFIXES_PER_LOOKUP),
});

/** The consent category an event needs. */
export function categoryOf(event: NetworkEvent | WireNetworkEvent): ConsentCategory {
  return categoryOfKind(event.kind);
}
