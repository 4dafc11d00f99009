/** The CLI's exit codes, as clamscan's: the one place errors become numbers. */
import { EngineError, formatProblem, isWarning } from '../engine/index.js';

export const EXIT_CLEAN = 0;
export const EXIT_FOUND = 1;
export const EXIT_ERROR = 2;
/** A jurisdiction rule stopped the action (license, network, update commands); the decision is printed. */
export const EXIT_POLICY_DENIED = 3;

/** An error the user can act on; printed without a stack. */
export class UsageError extends Error {}

/** Prints an error thrown by a command and returns the exit code for it. */
export function reportError(e: unknown): number {
  if (e instanceof EngineError) {
    for (const p of e.problems) process.stderr.write(`${formatProblem(p)}\n`);
    const errors = e.problems.filter((p) => !isWarning(p)).length;
    const what = errors > 0 ? `: ${errors} error(s) listed above` : '';
    process.stderr.write(`ERROR: ${e.message}${errors > 0 && !e.message.includes('error') ? what : ''}\n`);
    return EXIT_ERROR;
  }
  // Cloud errors are recognised by name: importing the cloud here would load it for every command.
  const name = (e as { name?: string } | null)?.name;
  if (name === 'PolicyError') {
    const issues = (e as { issues: { path: (string | number)[]; message: string }[] }).issues;
    process.stderr.write(`ERROR: ${issues.length > 1 ? 'invalid input:' : (e as Error).message}\n`);
    if (issues.length > 1) for (const i of issues) process.stderr.write(`  ${i.path.join('.') || '(root)'}: ${i.message}\n`);
    return EXIT_ERROR;
  }
  if (e instanceof UsageError || name === 'StoreError' || name === 'GeoError' || name === 'ApiError') {
    const details = (e as { details?: { path: string; message: string }[] }).details ?? [];
    process.stderr.write(`ERROR: ${(e as Error).message}\n`);
    for (const d of details.length > 1 ? details : []) process.stderr.write(`  ${d.path}: ${d.message}\n`);
    return EXIT_ERROR;
  }
  // System errors (port in use, permission denied, ...) are the user's to act on: no stack.
  if (typeof (e as NodeJS.ErrnoException | null)?.syscall === 'string') {
    process.stderr.write(`ERROR: ${(e as Error).message}\n`);
    return EXIT_ERROR;
  }
  process.stderr.write(`ERROR: ${(e as Error)?.stack ?? String(e)}\n`);
  return EXIT_ERROR;
}
