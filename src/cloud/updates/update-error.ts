/** The one error class of the update repository, with a code from a closed list. */
import { VigilError, type VigilErrorOptions } from '../../protocol/index.js';

export type UpdateErrorCode =
  // The signature sources do not compile (the problems are in the cause), or there are none.
  | 'BAD_SOURCES'
  // A private key the operation needs is not in this data folder, or cannot be read.
  | 'KEY_MISSING'
  // The repository has no release yet (nothing to refresh or export), or no such file.
  | 'NOT_INITIALISED'
  | 'NOT_FOUND'
  // A request the repository cannot do: an unknown role, a bad setting.
  | 'BAD_ARGUMENT'
  // What the store holds does not verify (metadata, log): never served further.
  | 'STORE_CORRUPT';

export class UpdateError extends VigilError {
  override readonly name = 'UpdateError';
  constructor(
    readonly code: UpdateErrorCode,
    message: string,
    options?: VigilErrorOptions,
  ) {
    super(message, options);
  }
}
