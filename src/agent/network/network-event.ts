/**
 * What an endpoint reports to the security network about one file: its SHA-256, size, detected
 * type, the detection name (null for an unknown executable), the engine and database that saw it,
 * and when. Never the file's contents, path or name, and nothing about the user: the type has no
 * room for them, and checkEvent refuses anything that does not fit the wire format.
 * (The cloud adds the endpoint's pseudonymous id and coarse location on its side.)
 */
import { NetworkError } from './network-error.js';

export type EventKind = 'detection' | 'unknown-executable';

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
  /** Which signature database saw it (database identity, see scan-network.ts). */
  database: string;
  /** ISO 8601 UTC. */
  seen_at: string;
}

export const SHA256_RE = /^[0-9a-f]{64}$/;
/** The longest detection, engine, database and file type names accepted, in characters. */
export const EVENT_TEXT_MAX_CHARS = 200;
const PRINTABLE_RE = /^[^\p{Cc}\p{Cs}]+$/u; // no control characters, no lone surrogates

function text(v: unknown, what: string, nullable = false): string | null {
  if (v === null && nullable) return null;
  if (typeof v !== 'string' || v.length === 0 || v.length > EVENT_TEXT_MAX_CHARS || !PRINTABLE_RE.test(v)) {
    throw new NetworkError('INVALID_EVENT', `event ${what} is not text of 1 to ${EVENT_TEXT_MAX_CHARS} printable characters`);
  }
  return v;
}

/** `e` checked against the wire format, with exactly the wire fields (nothing else is kept). */
export function checkEvent(e: NetworkEvent): NetworkEvent {
  if (e.kind !== 'detection' && e.kind !== 'unknown-executable') throw new NetworkError('INVALID_EVENT', `event kind "${String(e.kind)}" is not detection or unknown-executable`);
  if (typeof e.sha256 !== 'string' || !SHA256_RE.test(e.sha256)) throw new NetworkError('INVALID_EVENT', 'event sha256 is not 64 lowercase hex digits');
  if (!Number.isSafeInteger(e.size) || e.size < 0) throw new NetworkError('INVALID_EVENT', 'event size is not a whole number of bytes');
  if (typeof e.seen_at !== 'string' || Number.isNaN(Date.parse(e.seen_at))) throw new NetworkError('INVALID_EVENT', 'event seen_at is not a time');
  if (e.kind === 'detection' && e.detection === null) throw new NetworkError('INVALID_EVENT', 'a detection event needs its detection name');
  if (e.kind === 'unknown-executable' && e.detection !== null) throw new NetworkError('INVALID_EVENT', 'an unknown-executable event has no detection name');
  const detection = text(e.detection, 'detection', e.kind === 'unknown-executable');
  return {
    kind: e.kind,
    sha256: e.sha256,
    size: e.size,
    file_type: text(e.file_type, 'file_type')!,
    detection,
    engine: text(e.engine, 'engine')!,
    database: text(e.database, 'database')!,
    seen_at: new Date(e.seen_at).toISOString(),
  };
}
