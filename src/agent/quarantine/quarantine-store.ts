/**
 * The quarantine folder, `<agent dir>/quarantine/` (owner only):
 *
 *   key                  the AES-256 key (0600), see quarantine-key.ts
 *   entries/<id>.vq      one entry per quarantined file, see entry-file.ts
 *   entries/.<id>.vq.tmp an entry being written (a crash can leave one; recovery removes it)
 *   journal/<id>.json    a move in progress, see move-journal.ts and move-in.ts
 *
 * Opening the store runs recovery first (recovery.ts), so every command starts from a state where
 * each file is either at its origin or in quarantine.
 */
import { existsSync, readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { ensureAgentDir } from '../agent-dir.js';
import { syncFolder } from '../atomic-file.js';
import { ENTRY_EXTENSION, ENTRY_ID_PATTERN, readEntryHeader, type EntryHeader } from './entry-file.js';
import { describeSystemError, QuarantineError } from './quarantine-error.js';
import { loadOrCreateKey, readKey, type QuarantineKey } from './quarantine-key.js';

export const QUARANTINE_DIR = 'quarantine';
export const ENTRIES_DIR = 'entries';
export const JOURNAL_DIR = 'journal';
/** Shortest id prefix accepted in place of a whole id. */
export const ID_PREFIX_MIN_CHARS = 4;

export interface StorePaths {
  root: string;
  entries: string;
  journal: string;
}

export function quarantinePaths(agentDir: string): StorePaths {
  const root = join(agentDir, QUARANTINE_DIR);
  return { root, entries: join(root, ENTRIES_DIR), journal: join(root, JOURNAL_DIR) };
}

export function entryFile(paths: StorePaths, id: string): string {
  return join(paths.entries, `${id}${ENTRY_EXTENSION}`);
}

export function asideEntryFile(paths: StorePaths, id: string): string {
  return join(paths.entries, `.${id}${ENTRY_EXTENSION}.tmp`);
}

/** Creates the folders (owner only) and returns the key, creating it on first use. */
export function prepareStore(paths: StorePaths): QuarantineKey {
  try {
    ensureAgentDir(paths.root);
    ensureAgentDir(paths.entries);
    ensureAgentDir(paths.journal);
  } catch (e) {
    throw new QuarantineError('STORE_IO', `cannot create the quarantine folder ${paths.root}: ${describeSystemError(e)}`, undefined, { cause: e });
  }
  return loadOrCreateKey(paths.root);
}

/** The key for reading entries; KEY_MISSING when entries exist without one. */
export function requireKey(paths: StorePaths): QuarantineKey {
  const key = existsSync(paths.root) ? readKey(paths.root) : null;
  if (!key) throw new QuarantineError('KEY_MISSING', `the quarantine key ${join(paths.root, 'key')} is missing: quarantined files cannot be decrypted without it`);
  return key;
}

/** The ids of the entries, sorted. */
export function entryIds(paths: StorePaths): string[] {
  let names: string[];
  try {
    names = readdirSync(paths.entries);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new QuarantineError('STORE_IO', `cannot read ${paths.entries}: ${describeSystemError(e)}`, undefined, { cause: e });
  }
  return names.filter((n) => n.endsWith(ENTRY_EXTENSION) && !n.startsWith('.')).map((n) => n.slice(0, -ENTRY_EXTENSION.length)).sort();
}

/** The whole id for `idOrPrefix`: an exact id, or a unique prefix of at least ID_PREFIX_MIN_CHARS. */
export function resolveEntryId(paths: StorePaths, idOrPrefix: string): string {
  const wanted = idOrPrefix.trim().toLowerCase();
  if (!/^[0-9a-f]+$/.test(wanted)) throw new QuarantineError('NOT_FOUND', `'${idOrPrefix}' is not a quarantine id (16 hexadecimal digits, see 'vigil quarantine list')`, idOrPrefix);
  const ids = entryIds(paths);
  if (ENTRY_ID_PATTERN.test(wanted) && ids.includes(wanted)) return wanted;
  const matches = wanted.length >= ID_PREFIX_MIN_CHARS ? ids.filter((id) => id.startsWith(wanted)) : [];
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) throw new QuarantineError('AMBIGUOUS_ID', `'${idOrPrefix}' matches ${matches.length} quarantine entries (${matches.slice(0, 5).join(', ')}${matches.length > 5 ? ', ...' : ''}): give more of the id`, idOrPrefix);
  throw new QuarantineError('NOT_FOUND', `no quarantine entry '${idOrPrefix}'${wanted.length < ID_PREFIX_MIN_CHARS && !ENTRY_ID_PATTERN.test(wanted) ? ` (give at least ${ID_PREFIX_MIN_CHARS} digits of the id)` : ''}`, idOrPrefix);
}

export interface ListedEntries {
  entries: EntryHeader[];
  /** Entries whose file is not a valid entry, each with its reason. */
  problems: QuarantineError[];
}

/** Every entry's metadata, oldest first; reading headers only (no decryption). */
export function listEntries(paths: StorePaths): ListedEntries {
  const entries: EntryHeader[] = [];
  const problems: QuarantineError[] = [];
  for (const id of entryIds(paths)) {
    try {
      const { header } = readEntryHeader(entryFile(paths, id), id);
      if (header.id !== id) throw new QuarantineError('MALFORMED', `quarantine entry ${id} is malformed: its header names another id (${header.id})`, id);
      entries.push(header);
    } catch (e) {
      if (e instanceof QuarantineError && e.code === 'NOT_FOUND') continue; // deleted meanwhile
      problems.push(e instanceof QuarantineError ? e : new QuarantineError('STORE_IO', `quarantine entry ${id}: ${describeSystemError(e)}`, id, { cause: e }));
    }
  }
  entries.sort((a, b) => a.quarantinedAt.localeCompare(b.quarantinedAt) || a.id.localeCompare(b.id));
  return { entries, problems };
}

/** Removes an entry (plain unlink: its content is encrypted anyway) and makes that durable. */
export function deleteEntry(paths: StorePaths, id: string): void {
  try {
    unlinkSync(entryFile(paths, id));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'NOT_FOUND' : 'STORE_IO';
    throw new QuarantineError(code, `cannot delete quarantine entry ${id}: ${describeSystemError(e)}`, id, { cause: e });
  }
  syncFolder(paths.entries);
}
