/**
 * The CLI's exit codes, the one table of them, and the one place errors become numbers. 0, 1 and 2
 * are clamscan's (clamscan(1), "RETURN CODES": 0 no virus found, 1 virus found, 2 some error
 * occurred); Vigil's own outcomes take numbers after them, each one number for one meaning, so a
 * script can tell "a jurisdiction rule stopped it" from "the log showed two views" (docs/cli.md,
 * "Exit codes").
 */
import { EngineError, formatProblem, isWarning } from '../engine/index.js';
import { VigilError } from '../protocol/index.js';

/** Nothing found, the check passed, or the command did what was asked. */
export const EXIT_CLEAN = 0;
/** The command ran and answered "no": malware found, a repository or chain with problems, a license that cannot be used, a refusal. */
export const EXIT_FOUND = 1;
/** The command could not do its work: a usage mistake, an unreadable file or database, a server that cannot be reached. */
export const EXIT_ERROR = 2;
/** A jurisdiction rule stopped the action (license, network, update commands); the decision is printed. */
export const EXIT_POLICY_DENIED = 3;
/** `audit repo` and `audit diff`: a checkpoint from another party contradicts the log (a split view). */
export const EXIT_SPLIT_VIEW = 4;

export interface ExitCodeRow {
  code: number;
  /** The constant's name in this file. */
  name: string;
  /** Which commands use it, and what it says. */
  meaning: string;
}

/** Every exit code the CLI uses, in order; docs/cli.md lists the same rows (a test compares them). */
export const EXIT_CODES: readonly ExitCodeRow[] = [
  { code: EXIT_CLEAN, name: 'EXIT_CLEAN', meaning: 'success: nothing found, the check passed, or the command did what was asked' },
  {
    code: EXIT_FOUND,
    name: 'EXIT_FOUND',
    meaning: 'the answer is no: malware found (scan, watch), problems found (audit, db verify), no usable license (license), a refusal (network)',
  },
  { code: EXIT_ERROR, name: 'EXIT_ERROR', meaning: 'an error: a usage mistake, a file or database that cannot be read, a server that cannot be reached' },
  { code: EXIT_POLICY_DENIED, name: 'EXIT_POLICY_DENIED', meaning: 'a jurisdiction rule stopped the action (license, network, update); the decision is printed' },
  { code: EXIT_SPLIT_VIEW, name: 'EXIT_SPLIT_VIEW', meaning: 'a split view: a checkpoint from another party contradicts the log (audit repo, audit diff)' },
];

/** An error the user can act on; printed without a stack. */
export class UsageError extends VigilError {
  readonly code = 'USAGE';
}

/**
 * Prints an error thrown by a command and returns the exit code for it. Every error Vigil throws on
 * purpose is a VigilError (its class lives in protocol, so recognising a cloud error here does not
 * load the cloud): its message, its details and its hint are printed, without a stack.
 */
export function reportError(e: unknown): number {
  if (e instanceof EngineError) {
    for (const p of e.problems) process.stderr.write(`${formatProblem(p)}\n`);
    const errors = e.problems.filter((p) => !isWarning(p)).length;
    const what = errors > 0 ? `: ${errors} error(s) listed above` : '';
    process.stderr.write(`ERROR: ${e.message}${errors > 0 && !e.message.includes('error') ? what : ''}\n`);
    writeHint(e);
    return EXIT_ERROR;
  }
  if (e instanceof VigilError) {
    const details = e.listDetails();
    process.stderr.write(`ERROR: ${details.length > 1 ? e.summariseDetails() : e.message}\n`);
    for (const d of details.length > 1 ? details : []) process.stderr.write(`  ${d.path}: ${d.message}\n`);
    writeHint(e);
    return EXIT_ERROR;
  }
  // System errors (port in use, permission denied, ...) are the user's to act on: no stack.
  if (typeof (e as NodeJS.ErrnoException | null)?.syscall === 'string') {
    process.stderr.write(`ERROR: ${(e as Error).message}\n`);
    return EXIT_ERROR;
  }
  process.stderr.write(`ERROR: ${(e instanceof Error ? e.stack : undefined) ?? String(e)}\n`);
  return EXIT_ERROR;
}

function writeHint(e: VigilError): void {
  if (e.hint !== undefined) process.stderr.write(`hint: ${e.hint}\n`);
}
