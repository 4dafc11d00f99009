/**
 * The entries of the update log as the auditor keeps them: the leaf format is protocol/log-entry.ts
 * (parsed there, strictly); here each entry also carries its index in the log.
 */
import { parseLogEntry as parseWireLogEntry } from '../../protocol/index.js';

export type LogEntry =
  | { kind: 'release'; index: number; release: number; image: { sha256: string; length: number }; targetsVersion: number }
  | { kind: 'root'; index: number; version: number; sha256: string; length: number };

/** Reads entry `index`; throws an Error saying which field is wrong and why. */
export function parseLogEntry(bytes: Uint8Array, index: number): LogEntry {
  let entry: ReturnType<typeof parseWireLogEntry>;
  try {
    entry = parseWireLogEntry(bytes);
  } catch (e) {
    throw new Error(`entry ${index} is refused: ${(e as Error).message}`, { cause: e });
  }
  return entry.kind === 'release'
    ? { kind: 'release', index, release: entry.release, image: entry.image, targetsVersion: entry.targets_version }
    : { kind: 'root', index, version: entry.version, sha256: entry.sha256, length: entry.length };
}
