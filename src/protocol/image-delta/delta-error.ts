import { VigilError } from '../vigil-error.js';

/** The one error applying or reading a delta throws, with a code from a closed union. */
export type ImageDeltaErrorCode =
  // Not a delta, a truncated one, an unknown segment or operation, anything out of bounds.
  | 'MALFORMED_DELTA'
  // The delta was made from another image than the one given.
  | 'WRONG_BASE'
  // The target is larger than the caller allows.
  | 'TOO_LARGE'
  // The segments built something else than the target the delta names.
  | 'TARGET_MISMATCH';

export class ImageDeltaError extends VigilError {
  override readonly name = 'ImageDeltaError';
  constructor(
    readonly code: ImageDeltaErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Throws MALFORMED_DELTA: not a delta, truncated, unknown, or out of bounds. */
export function rejectMalformed(message: string): never {
  throw new ImageDeltaError('MALFORMED_DELTA', message);
}
