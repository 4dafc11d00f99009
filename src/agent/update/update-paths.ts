/**
 * Where `vigil update` keeps things.
 *
 * In the agent folder, `update/` (owner-only):
 *   metadata/root.json ...    the TUF metadata trusted so far (root, timestamp, snapshot, targets)
 *   checkpoint                the last transparency-log checkpoint verified (a signed note)
 *   lock                      held while an update runs (the pid of the holder)
 *   metadata.work-<pid>/      a working copy while tuf-js refreshes (it writes files in place)
 *
 * In the database folder (default `<agent folder>/database`, what `vigil scan -d` and the daemon
 * read):
 *   vigil.vigildb             the installed image: the only `*.vigildb` there (the engine loads it)
 *   vigil.vigildb.previous    the image it replaced, restored by `vigil update --rollback`
 *   vigil-update.json         the verified releases these two images may be (by SHA-256)
 */
import { join } from 'node:path';

export const UPDATE_STATE_DIR = 'update';
export const DEFAULT_DATABASE_DIR = 'database';
export const INSTALLED_IMAGE = 'vigil.vigildb';
export const PREVIOUS_IMAGE = 'vigil.vigildb.previous';
export const INSTALL_STATE_FILE = 'vigil-update.json';

export interface UpdatePaths {
  stateDir: string;
  metadataDir: string;
  checkpoint: string;
  lock: string;
}

export function updatePaths(agentDir: string): UpdatePaths {
  const stateDir = join(agentDir, UPDATE_STATE_DIR);
  return { stateDir, metadataDir: join(stateDir, 'metadata'), checkpoint: join(stateDir, 'checkpoint'), lock: join(stateDir, 'lock') };
}

export function defaultDatabaseDir(agentDir: string): string {
  return join(agentDir, DEFAULT_DATABASE_DIR);
}
