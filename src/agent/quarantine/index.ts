/** The quarantine's door within the agent (re-exported by src/agent/index.ts). */
export { Quarantine, type EntryCheck } from './quarantine.js';
export { QuarantineError, type QuarantineErrorCode } from './quarantine-error.js';
export { ENTRY_FORMAT, type EntryHeader } from './entry-file.js';
export { QUARANTINE_DIR, quarantinePaths, type ListedEntries, type StorePaths } from './quarantine-store.js';
export { KEY_FILE, KEY_FILE_MODE } from './quarantine-key.js';
export { CRASH_ENV, CRASH_POINTS, type CrashPoint } from './crash-point.js';
export type { RecoveryReport } from './recovery.js';
export type { Restored, RestoreOptions } from './restore.js';
