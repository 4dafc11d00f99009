/**
 * What an endpoint reports to the security network about one file (docs/network.md,
 * `POST /v1/network/events`): its SHA-256, size, detected type, the detection name (null for an
 * unknown executable), the engine and database that saw it, and when. Never the file's contents,
 * path or name, and nothing about the user: the format has no room for them and refuses any member
 * it does not name. The agent checks each event against it before queueing; the cloud's route
 * schema (cloud/network/event-schema.ts) is built from the same limits.
 */
import { WireFormatError } from './wire-format-error.js';

export const NETWORK_EVENT_KINDS = ['detection', 'unknown-executable'] as const;
export type EventKind = (typeof NETWORK_EVENT_KINDS)[number];

export interface NetworkEvent {
  kind: EventKind;
  /** Lowercase hex. */
  sha256: string;
  size: number;
  /** The engine's detected type name, e.g. `pe`, `elf`, `text`. */
  file_type: string;
  /** The signature name; null for an unknown executable. */
  detection: string | null;
  /** The engine's version, e.g. `0.1.0`. */
  engine: string;
  /** Which signature database saw it (its identity). */
  database: string;
  /** An instant (RFC 3339 with Z or an offset); parsed events carry it as ISO 8601 UTC with milliseconds. */
  seen_at: string;
}

/** The shortest and longest text of each text field, in UTF-16 code units (JavaScript string length). */
export const EVENT_TEXT_LIMITS = {
  file_type: { min: 0, max: 32 },
  detection: { min: 1, max: 200 },
  engine: { min: 1, max: 40 },
  database: { min: 1, max: 80 },
} as const;
/** Events one batch may carry. */
export const MAX_EVENTS_PER_BATCH = 1000;

export const SHA256_HEX_RE = /^[0-9a-f]{64}$/;
// No control characters (PostgreSQL text cannot hold NUL), no lone surrogates (no Unicode text:
// PostgreSQL refuses them in JSON). A well-formed surrogate pair is one code point and passes.
const CONTROL_RE = /\p{Cc}/u;
const LONE_SURROGATE_RE = /\p{Cs}/u;
// RFC 3339 date-time: seconds required, a fraction optional, Z or a numeric offset.
const INSTANT_RE = /^(\d{4})-(\d{2})-(\d{2})T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/;
const FIELDS: readonly string[] = ['kind', 'sha256', 'size', 'file_type', 'detection', 'engine', 'database', 'seen_at'];

/** Why `v` is not event text of `min` to `max` characters; undefined when it is. */
export function eventTextProblem(v: unknown, min: number, max: number): string | undefined {
  if (typeof v !== 'string') return 'not a string';
  if (v.length < min || v.length > max) return `not ${min} to ${max} characters long`;
  if (CONTROL_RE.test(v)) return 'not printable: contains control characters';
  if (LONE_SURROGATE_RE.test(v)) return 'not printable: not well-formed Unicode text (a lone surrogate)';
  return undefined;
}

/** True when `v` is an RFC 3339 instant naming a real calendar day. */
export function isEventInstant(v: unknown): v is string {
  if (typeof v !== 'string') return false;
  const m = INSTANT_RE.exec(v);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day && !Number.isNaN(Date.parse(v));
}

function readText(o: Record<string, unknown>, name: keyof typeof EVENT_TEXT_LIMITS, at: string): string {
  const { min, max } = EVENT_TEXT_LIMITS[name];
  const problem = eventTextProblem(o[name], min, max);
  if (problem !== undefined) throw new WireFormatError(typeof o[name] === 'string' ? 'BAD_VALUE' : 'MALFORMED', `${at}.${name}`, problem);
  return o[name] as string;
}

export interface NetworkEventParseOptions {
  /** Where the event is, for messages (`events.3`); `event` by default. */
  at?: string;
  /**
   * A member the format does not name: `refuse` it (UNKNOWN_FIELD; the default, for what arrives
   * over the wire), or `drop` it (for an event this side built, which is then sent without it).
   */
  unknownFields?: 'refuse' | 'drop';
}

/**
 * `value` checked against the format, returned with exactly the wire fields, `seen_at` normalised
 * to UTC with milliseconds. Throws WireFormatError naming the field (`<at>.<field>`) and the reason.
 */
export function parseNetworkEvent(value: unknown, options: NetworkEventParseOptions = {}): NetworkEvent {
  const at = options.at ?? 'event';
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new WireFormatError('MALFORMED', at, 'not an object');
  const o = value as Record<string, unknown>;
  if (options.unknownFields !== 'drop') for (const name of Object.keys(o)) if (!FIELDS.includes(name)) throw new WireFormatError('UNKNOWN_FIELD', `${at}.${name.slice(0, 40)}`, 'not a field of a network event');
  const kind = o['kind'];
  if (kind !== 'detection' && kind !== 'unknown-executable') throw new WireFormatError('BAD_VALUE', `${at}.kind`, 'neither detection nor unknown-executable');
  if (typeof o['sha256'] !== 'string' || !SHA256_HEX_RE.test(o['sha256'])) throw new WireFormatError('BAD_VALUE', `${at}.sha256`, 'not a SHA-256 in 64 lowercase hex digits');
  const size = o['size'];
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw new WireFormatError('BAD_VALUE', `${at}.size`, 'not a whole number of bytes');
  let detection: string | null;
  if (kind === 'unknown-executable') {
    if (o['detection'] !== null) throw new WireFormatError('BAD_VALUE', `${at}.detection`, 'an unknown-executable event has no detection name (null)');
    detection = null;
  } else {
    if (o['detection'] === null || o['detection'] === undefined) throw new WireFormatError('MISSING_FIELD', `${at}.detection`, 'a detection event needs its detection name');
    detection = readText(o, 'detection', at);
  }
  const fileType = readText(o, 'file_type', at);
  const engine = readText(o, 'engine', at);
  const database = readText(o, 'database', at);
  if (!isEventInstant(o['seen_at'])) throw new WireFormatError('BAD_VALUE', `${at}.seen_at`, 'not an RFC 3339 instant with seconds and Z or an offset');
  return { kind, sha256: o['sha256'], size, file_type: fileType, detection, engine, database, seen_at: new Date(o['seen_at']).toISOString() };
}
