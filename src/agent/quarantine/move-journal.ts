/**
 * The journal of moves into quarantine: `journal/<id>.json`, written (atomically, fsynced) before
 * anything else of a move happens and removed after the source is gone, so a crash in between
 * leaves a record saying which file was on its way in, and who (pid) was moving it.
 */
import { readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { syncFolder, writeFileAtomic } from '../atomic-file.js';
import { ENTRY_ID_PATTERN } from './entry-file.js';

export const JOURNAL_FORMAT = 'vigil-quarantine-move-v1';
const JOURNAL_FILE_MODE = 0o600;

/** The identity of the source file when the move started: the move only ever unlinks that file. */
export interface SourceIdentity {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
}

export interface MoveRecord extends SourceIdentity {
  format: typeof JOURNAL_FORMAT;
  id: string;
  /** The process moving it; recovery leaves records of live processes alone. */
  pid: number;
  source: string;
  startedAt: string;
}

export function writeMoveRecord(journalDir: string, record: MoveRecord): void {
  writeFileAtomic(join(journalDir, `${record.id}.json`), `${JSON.stringify(record)}\n`, JOURNAL_FILE_MODE);
}

export function removeMoveRecord(journalDir: string, id: string): void {
  try {
    unlinkSync(join(journalDir, `${id}.json`));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  syncFolder(journalDir);
}

export type JournalItem = { id: string; record: MoveRecord } | { id: string; problem: string };

/** Every record in the journal; an unreadable one comes back with its problem. */
export function readJournal(journalDir: string): JournalItem[] {
  let names: string[];
  try {
    names = readdirSync(journalDir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const items: JournalItem[] = [];
  for (const name of names.sort()) {
    const m = /^([0-9a-f]{16})\.json$/.exec(name);
    if (!m) continue;
    const id = m[1]!;
    try {
      const r = JSON.parse(readFileSync(join(journalDir, name), 'utf8')) as Partial<MoveRecord>;
      if (r.format !== JOURNAL_FORMAT || r.id !== id || !ENTRY_ID_PATTERN.test(r.id) || typeof r.source !== 'string' || !Number.isSafeInteger(r.pid)) {
        items.push({ id, problem: 'not a valid move record' });
      } else items.push({ id, record: r as MoveRecord });
    } catch (e) {
      items.push({ id, problem: (e as Error).message });
    }
  }
  return items;
}

/** Whether a process with this pid exists (it may be another program after pid reuse: then recovery waits for it). */
export function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
