/**
 * The entries of the update log (docs/updates.md, "The transparency log"): each leaf is the
 * canonical JSON (RFC 8785) of one of
 *
 *   {"image":{"length":L,"sha256":"<hex>"},"kind":"release","release":N,"targets_version":V}
 *   {"kind":"root","length":L,"sha256":"<hex of N.root.json as served>","version":N}
 *
 * The cloud writes them (cloud/updates), the update client looks for its release's leaf and the
 * auditor reads them all. Anything else (another kind, extra or missing fields, a non-canonical
 * spelling) is refused: no reader could say what such an entry vouches for.
 */
import { canonicalJson } from './canonical-json.js';
import { WireFormatError } from './wire-format-error.js';

export interface ReleaseLogEntry {
  kind: 'release';
  release: number;
  image: { sha256: string; length: number };
  targets_version: number;
}

export interface RootLogEntry {
  kind: 'root';
  version: number;
  sha256: string;
  length: number;
}

export type UpdateLogEntry = ReleaseLogEntry | RootLogEntry;

/** The longest entry read, in bytes (an entry bundle holds entries of up to 65,535 bytes). */
export const LOG_ENTRY_MAX_BYTES = 0xffff;

const SHA256_RE = /^[0-9a-f]{64}$/;

/** The leaf bytes of `entry`, as text: its canonical JSON (RFC 8785). */
export function formatLogEntry(entry: UpdateLogEntry): string {
  return canonicalJson(
    entry.kind === 'release'
      ? { kind: 'release', release: entry.release, image: { sha256: entry.image.sha256, length: entry.image.length }, targets_version: entry.targets_version }
      : { kind: 'root', version: entry.version, sha256: entry.sha256, length: entry.length },
  );
}

function checkMembers(o: Record<string, unknown>, at: string, names: readonly string[]): void {
  for (const name of Object.keys(o)) if (!names.includes(name)) throw new WireFormatError('UNKNOWN_FIELD', `${at}${name.slice(0, 40)}`, 'not a member of this entry');
  for (const name of names) if (!(name in o)) throw new WireFormatError('MISSING_FIELD', `${at}${name}`, 'missing');
}

function readCount(o: Record<string, unknown>, name: string, min: number, at = ''): number {
  const v = o[name];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw new WireFormatError('BAD_VALUE', `${at}${name}`, `not a whole number of at least ${min}`);
  return v;
}

function readSha256(o: Record<string, unknown>, name: string, at = ''): string {
  const v = o[name];
  if (typeof v !== 'string' || !SHA256_RE.test(v)) throw new WireFormatError('BAD_VALUE', `${at}${name}`, 'not a SHA-256 in 64 lowercase hex digits');
  return v;
}

/** Reads one leaf; throws WireFormatError naming the field and the reason. */
export function parseLogEntry(bytes: Uint8Array): UpdateLogEntry {
  if (bytes.length > LOG_ENTRY_MAX_BYTES) throw new WireFormatError('MALFORMED', 'entry', `more than ${LOG_ENTRY_MAX_BYTES} bytes`);
  let text: string;
  let value: unknown;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    value = JSON.parse(text);
  } catch {
    throw new WireFormatError('MALFORMED', 'entry', 'not UTF-8 JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new WireFormatError('MALFORMED', 'entry', 'not a JSON object');
  if (canonicalJson(value) !== text) throw new WireFormatError('MALFORMED', 'entry', 'not canonical JSON (RFC 8785)');
  const o = value as Record<string, unknown>;
  if (o['kind'] === 'release') {
    checkMembers(o, '', ['image', 'kind', 'release', 'targets_version']);
    const image = o['image'];
    if (image === null || typeof image !== 'object' || Array.isArray(image)) throw new WireFormatError('MALFORMED', 'image', 'not an object');
    const i = image as Record<string, unknown>;
    checkMembers(i, 'image.', ['length', 'sha256']);
    return { kind: 'release', release: readCount(o, 'release', 1), image: { sha256: readSha256(i, 'sha256', 'image.'), length: readCount(i, 'length', 0, 'image.') }, targets_version: readCount(o, 'targets_version', 1) };
  }
  if (o['kind'] === 'root') {
    checkMembers(o, '', ['kind', 'length', 'sha256', 'version']);
    return { kind: 'root', version: readCount(o, 'version', 1), sha256: readSha256(o, 'sha256'), length: readCount(o, 'length', 1) };
  }
  throw new WireFormatError('BAD_VALUE', 'kind', `unknown kind ${JSON.stringify(String(o['kind']).slice(0, 40))}`);
}
