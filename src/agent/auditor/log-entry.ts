/**
 * The entries of the update log (docs/updates.md, "The transparency log"): each the canonical
 * JSON (RFC 8785) of one of
 *
 *   {"image":{"length":L,"sha256":"<hex>"},"kind":"release","release":N,"targets_version":V}
 *   {"kind":"root","length":L,"sha256":"<hex of N.root.json as served>","version":N}
 *
 * Anything else (another kind, extra or missing fields, a non-canonical spelling) is refused: the
 * auditor could not say what such an entry vouches for.
 */
import { canonicalJson } from '../../protocol/index.js';

export type LogEntry =
  | { kind: 'release'; index: number; release: number; image: { sha256: string; length: number }; targetsVersion: number }
  | { kind: 'root'; index: number; version: number; sha256: string; length: number };

const SHA256_RE = /^[0-9a-f]{64}$/;
const isCount = (v: unknown, min: number): v is number => Number.isSafeInteger(v) && (v as number) >= min;
const keysAre = (o: object, keys: string[]) => Object.keys(o).sort().join(',') === keys.join(',');

/** Reads entry `index`; throws an Error saying what is wrong. */
export function parseLogEntry(bytes: Uint8Array, index: number): LogEntry {
  let text: string;
  let value: unknown;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    value = JSON.parse(text);
  } catch {
    throw new Error(`entry ${index} is not UTF-8 JSON`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`entry ${index} is not a JSON object`);
  if (canonicalJson(value) !== text) throw new Error(`entry ${index} is not canonical JSON (RFC 8785)`);
  const o = value as Record<string, unknown>;
  if (o['kind'] === 'release') {
    const image = o['image'] as Record<string, unknown> | null;
    const ok =
      keysAre(o, ['image', 'kind', 'release', 'targets_version']) &&
      isCount(o['release'], 1) &&
      isCount(o['targets_version'], 1) &&
      image !== null &&
      typeof image === 'object' &&
      keysAre(image, ['length', 'sha256']) &&
      isCount(image['length'], 0) &&
      typeof image['sha256'] === 'string' &&
      SHA256_RE.test(image['sha256']);
    if (!ok) throw new Error(`entry ${index} is not a release entry {kind, release, image {sha256, length}, targets_version}`);
    return { kind: 'release', index, release: o['release'] as number, image: { sha256: image['sha256'] as string, length: image['length'] as number }, targetsVersion: o['targets_version'] as number };
  }
  if (o['kind'] === 'root') {
    const ok = keysAre(o, ['kind', 'length', 'sha256', 'version']) && isCount(o['version'], 1) && isCount(o['length'], 1) && typeof o['sha256'] === 'string' && SHA256_RE.test(o['sha256']);
    if (!ok) throw new Error(`entry ${index} is not a root entry {kind, version, sha256, length}`);
    return { kind: 'root', index, version: o['version'] as number, sha256: o['sha256'] as string, length: o['length'] as number };
  }
  throw new Error(`entry ${index} is of unknown kind ${JSON.stringify(String(o['kind']).slice(0, 40))}`);
}
