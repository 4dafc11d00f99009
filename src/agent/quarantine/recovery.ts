/**
 * Completes or rolls back the moves a crash interrupted (states in move-in.ts). For each journal
 * record of a process that is no longer running:
 *
 *   - no entry under entries/<id>.vq: the move had not reached S2, the origin was never touched:
 *     remove the aside copy and the record (rolled back);
 *   - an entry that verifies (GCM tag and SHA-256): unlink the origin if it is still the very file
 *     recorded (device, inode, size, times), then remove the record (completed). An origin that
 *     changed or was replaced is left alone, and so is the entry: both exist, nothing is lost;
 *   - an entry that does not verify (a disk that lost data despite fsync): remove it if the origin
 *     is still there, otherwise keep it and report it (it is all that is left).
 *
 * Every step is idempotent, so a crash during recovery is handled by the next recovery. Aside
 * entries with no record are left-overs of rolled-back moves and are removed.
 */
import { lstatSync, readdirSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { syncFolder } from '../atomic-file.js';
import { crashPoint } from './crash-point.js';
import { decryptEntry, ENTRY_EXTENSION } from './entry-file.js';
import { identityOf, sameIdentity } from './move-in.js';
import { processAlive, readJournal, removeMoveRecord, type MoveRecord } from './move-journal.js';
import { readKey } from './quarantine-key.js';
import { asideEntryFile, entryFile, type StorePaths } from './quarantine-store.js';

export interface RecoveryReport {
  rolledBack: string[];
  completed: string[];
  /** Records left for a running process. */
  inProgress: string[];
  /** What recovery could not settle, in words naming the entry. */
  problems: string[];
}

function exists(file: string): boolean {
  try {
    lstatSync(file);
    return true;
  } catch {
    return false;
  }
}

function unlinkIfPresent(file: string): void {
  try {
    unlinkSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

/** Whether the origin is still the file the record describes. */
function originUnchanged(record: MoveRecord): boolean {
  try {
    return sameIdentity(record, identityOf(lstatSync(record.source)));
  } catch {
    return false;
  }
}

function recoverMove(paths: StorePaths, record: MoveRecord, report: RecoveryReport): void {
  const { id } = record;
  const entry = entryFile(paths, id);
  unlinkIfPresent(asideEntryFile(paths, id));
  if (!exists(entry)) {
    removeMoveRecord(paths.journal, id);
    report.rolledBack.push(id);
    return;
  }
  let verified = false;
  let why = '';
  try {
    const key = readKey(paths.root);
    if (!key) why = 'the quarantine key is missing';
    else {
      decryptEntry(entry, id, key);
      verified = true;
    }
  } catch (e) {
    why = (e as Error).message;
  }
  crashPoint('recover-after-verify');
  if (verified) {
    if (originUnchanged(record)) {
      unlinkIfPresent(record.source);
      syncFolder(dirname(record.source));
      crashPoint('recover-after-unlink');
    }
    removeMoveRecord(paths.journal, id);
    report.completed.push(id);
  } else if (originUnchanged(record)) {
    unlinkIfPresent(entry);
    syncFolder(paths.entries);
    removeMoveRecord(paths.journal, id);
    report.rolledBack.push(id);
  } else {
    report.problems.push(`quarantine entry ${id} (from ${record.source}) could not be verified after an interrupted move and its origin is gone; it was kept: ${why}`);
    removeMoveRecord(paths.journal, id);
  }
}

/** Settles every interrupted move; returns what it did. Safe to run at any time, by any number of processes. */
export function recoverQuarantine(paths: StorePaths): RecoveryReport {
  const report: RecoveryReport = { rolledBack: [], completed: [], inProgress: [], problems: [] };
  if (!exists(paths.journal)) return report;
  const pending = new Set<string>();
  for (const item of readJournal(paths.journal)) {
    if ('problem' in item) {
      report.problems.push(`quarantine journal record ${item.id} is unreadable (${item.problem}); it was left in ${paths.journal}`);
      pending.add(item.id);
      continue;
    }
    if (processAlive(item.record.pid)) {
      report.inProgress.push(item.id);
      pending.add(item.id);
      continue;
    }
    try {
      recoverMove(paths, item.record, report);
    } catch (e) {
      report.problems.push(`cannot recover the interrupted move ${item.id} of ${item.record.source}: ${(e as Error).message}`);
      pending.add(item.id);
    }
  }
  // Aside entries whose move has no record any more, and the journal's own aside files of dead writers.
  for (const name of safeReaddir(paths.entries)) {
    const m = new RegExp(`^\\.([0-9a-f]{16})\\${ENTRY_EXTENSION}\\.tmp$`).exec(name);
    if (m && !pending.has(m[1]!) && !exists(join(paths.journal, `${m[1]!}.json`))) unlinkIfPresent(join(paths.entries, name));
  }
  for (const name of safeReaddir(paths.journal)) {
    const m = /^\.[0-9a-f]{16}\.json\.(\d+)\.[0-9a-f]+\.tmp$/.exec(name);
    if (m && !processAlive(Number(m[1]))) unlinkIfPresent(join(paths.journal, name));
  }
  return report;
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
