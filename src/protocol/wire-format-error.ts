/**
 * The error of the wire contracts in src/protocol (the root's log field, log entries, network
 * events, repository paths): untrusted input that does not fit its format. It names the field (a
 * path such as `x-vigil-log.clock` or `events.3.sha256`) and the reason, so that each side can say
 * exactly what it refused, and a `code` from a closed union.
 */

import { VigilError } from './vigil-error.js';

export type WireFormatErrorCode =
  // Not the JSON, text or type the format needs (not UTF-8, not canonical, a wrong type).
  | 'MALFORMED'
  // A field the format requires is absent.
  | 'MISSING_FIELD'
  // A field the format does not have (formats that cross the wire are closed).
  | 'UNKNOWN_FIELD'
  // A value of the right type outside what the format allows (a range, a pattern, a length).
  | 'BAD_VALUE';

export class WireFormatError extends VigilError {
  constructor(
    readonly code: WireFormatErrorCode,
    /** Where in the input: a dotted path, or the name of the whole when the input is unreadable. */
    readonly field: string,
    /** What is wrong, in words. */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${field}: ${reason}`, options);
    this.name = 'WireFormatError';
  }
}
