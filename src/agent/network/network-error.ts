/**
 * The one error of the agent's security-network code. Local problems have codes of their own; a
 * refusal by the cloud keeps the cloud's code (as NetworkErrorCode) and what came with it (the
 * policy decision of a `policy_denied`, the wait of a `rate_limited`), in the same ServerRefusal
 * shape as licensing's.
 */
import { VigilError, type VigilErrorOptions } from '../../protocol/index.js';
import type { ServerRefusal } from '../license/index.js';

export type NetworkErrorCode =
  // local
  | 'NOT_ACTIVATED' // no activation in the agent folder: the network needs one to authenticate
  | 'LICENSE_UNUSABLE' // checkLicense says no (expired, no `network` entitlement, another machine's ...)
  | 'NOT_ENABLED' // the user has not opted in
  | 'STATE_CORRUPT' // consent.json or queue.sqlite is damaged
  | 'STATE_IO' // a file in the agent folder cannot be read or written
  | 'INVALID_EVENT' // an event that breaks the wire format (a bug in the caller)
  // talking to the cloud
  | 'UNREACHABLE'
  | 'TIMEOUT'
  | 'BAD_RESPONSE'
  // refused by the cloud (its error codes)
  | 'POLICY_DENIED' // a jurisdiction rule stops collection or look-ups
  | 'CONSENT_REQUIRED' // the cloud holds no consent for this activation
  | 'NOT_ENTITLED' // the license has no `network` entitlement
  | 'CONFLICT' // a batch id reused with other content (a bug)
  | 'RATE_LIMITED'
  | 'UNAUTHENTICATED' // the activation is unknown, ended, or its license unusable
  | 'INVALID_REQUEST'
  | 'SERVER_ERROR'; // any other error answer (5xx, unknown codes)

export class NetworkError extends VigilError {
  override readonly name = 'NetworkError';
  constructor(
    readonly code: NetworkErrorCode,
    message: string,
    readonly server?: ServerRefusal,
    options?: VigilErrorOptions,
  ) {
    super(message, options);
  }

  /** Whether trying again later may succeed (the cloud is down, slow or busy), as opposed to a refusal that stands. */
  get transient(): boolean {
    return this.code === 'UNREACHABLE' || this.code === 'TIMEOUT' || this.code === 'RATE_LIMITED' || this.code === 'SERVER_ERROR' || this.code === 'BAD_RESPONSE';
  }
}
