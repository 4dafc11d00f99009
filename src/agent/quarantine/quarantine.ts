/**
 * The quarantine as the CLI and the watcher use it: one object per agent folder that recovers
 * interrupted moves when opened and then moves files in, lists, verifies, restores and deletes.
 */
import { decryptEntry, readEntryHeader, type EntryHeader } from './entry-file.js';
import { moveIntoQuarantine } from './move-in.js';
import { QuarantineError } from './quarantine-error.js';
import type { QuarantineKey } from './quarantine-key.js';
import { deleteEntry, entryFile, listEntries, prepareStore, quarantinePaths, requireKey, resolveEntryId, type ListedEntries, type StorePaths } from './quarantine-store.js';
import { recoverQuarantine, type RecoveryReport } from './recovery.js';
import { restoreEntry, type Restored, type RestoreOptions } from './restore.js';

export interface EntryCheck {
  header: EntryHeader;
  /** null: verified (tag and SHA-256); otherwise why not. */
  problem: QuarantineError | null;
}

export class Quarantine {
  readonly paths: StorePaths;
  /** What the recovery run at opening did. */
  readonly recovery: RecoveryReport;
  private key: QuarantineKey | null = null;

  private constructor(agentDir: string) {
    this.paths = quarantinePaths(agentDir);
    this.recovery = recoverQuarantine(this.paths);
  }

  /** Opens the quarantine of an agent folder, settling moves a crash interrupted. Creates nothing until a file is moved in. */
  static open(agentDir: string): Quarantine {
    return new Quarantine(agentDir);
  }

  /** Moves a file in (creating the folders and the key on first use); returns its entry. */
  add(path: string, detections: string[]): EntryHeader {
    this.key ??= prepareStore(this.paths);
    return moveIntoQuarantine(this.paths, this.key, path, detections);
  }

  list(): ListedEntries {
    return listEntries(this.paths);
  }

  /** The whole id for an id or unique prefix. */
  resolve(idOrPrefix: string): string {
    return resolveEntryId(this.paths, idOrPrefix);
  }

  /** An entry's metadata (no decryption). */
  header(id: string): EntryHeader {
    return readEntryHeader(entryFile(this.paths, id), id).header;
  }

  /** Decrypts an entry without writing anything, checking the tag and the SHA-256. */
  check(id: string): EntryCheck {
    const header = this.header(id);
    try {
      decryptEntry(entryFile(this.paths, id), id, this.readKey());
      return { header, problem: null };
    } catch (e) {
      if (e instanceof QuarantineError) return { header, problem: e };
      throw e;
    }
  }

  restore(id: string, opts: RestoreOptions = {}): Restored {
    return restoreEntry(this.paths, this.readKey(), id, opts);
  }

  delete(id: string): void {
    deleteEntry(this.paths, id);
  }

  private readKey(): QuarantineKey {
    this.key ??= requireKey(this.paths);
    return this.key;
  }
}
