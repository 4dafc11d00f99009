/**
 * Why an audit could not run at all: the source cannot be reached, is not an update repository, or
 * the state folder cannot be used. A repository that fails verification is not an error: it is a
 * report with problems (audit-report.ts).
 */

import { VigilError, type VigilErrorOptions } from '../../protocol/index.js';

export type AuditorErrorCode =
  // The server or folder answered nothing usable (network error, HTTP status other than 200/404).
  | 'UNREACHABLE'
  // The source has no root version 1 or no checkpoint: not an update repository (or a wrong URL).
  | 'NOT_A_REPOSITORY'
  // A file larger than its named limit (AUDIT_LIMITS).
  | 'TOO_LARGE'
  // The state folder cannot be read or written, or holds something this auditor did not write.
  | 'BAD_STATE'
  // A caller's mistake: a trusted root that does not parse, a release that is not in the log, ...
  | 'BAD_ARGUMENT';

export class AuditorError extends VigilError {
  constructor(
    readonly code: AuditorErrorCode,
    message: string,
    options?: VigilErrorOptions,
  ) {
    super(message, options);
    this.name = 'AuditorError';
  }
}
