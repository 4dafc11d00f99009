/**
 * Fail points for the crash tests: when VIGIL_QUARANTINE_CRASH_AT names a step, the process kills
 * itself with SIGKILL on reaching it, as a power cut or `kill -9` would, so the tests can check
 * the quarantine's invariant after a crash at every step of a move and of a recovery. Unset (as
 * always outside tests) it costs one environment look-up per step.
 */

/** The steps of a move into quarantine and of recovery, in order; see docs/quarantine.md. */
export const CRASH_POINTS = [
  'move-before-journal',
  'move-after-journal',
  'move-mid-copy',
  'move-after-copy',
  'move-after-rename',
  'move-after-entry-synced',
  'move-after-unlink',
  'move-after-journal-removed',
  'recover-after-verify',
  'recover-after-unlink',
] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];

export const CRASH_ENV = 'VIGIL_QUARANTINE_CRASH_AT';

export function crashPoint(step: CrashPoint): void {
  if (process.env[CRASH_ENV] === step) process.kill(process.pid, 'SIGKILL');
}
