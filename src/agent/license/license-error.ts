/**
 * The one error of the agent's licensing. Local problems have codes of their own; a refusal by the
 * license server keeps the server's code (as LicenseErrorCode) and what came with it: the policy
 * decision of a `policy_denied`, the reason of a `license_unusable`, the wait of a `rate_limited`.
 * A license that is expired or bound to another machine is not an error: checkLicense returns it
 * as a verdict.
 */
import { VigilError, type VigilErrorOptions } from '../../protocol/index.js';
import type { PolicyDecision } from '../policy-decision.js';

export type LicenseErrorCode =
  // local
  | 'INVALID_KEY' // the key fails its checksum (never sent to the server)
  | 'NOT_ACTIVATED' // the agent folder holds no activation
  | 'ALREADY_ACTIVATED' // activating another key over an activation that holds a seat
  | 'WRONG_MACHINE' // the agent folder was copied from another machine (its activation is not this one's)
  | 'STATE_CORRUPT' // a file in the agent folder is damaged
  | 'STATE_IO' // a file in the agent folder cannot be read or written
  | 'MACHINE' // this machine's fingerprint cannot be computed
  | 'VENDOR_KEY' // the vendor key given or served is not usable
  // talking to the server
  | 'BAD_SERVER_URL'
  | 'UNREACHABLE' // no answer: name not found, connection refused or reset
  | 'TIMEOUT'
  | 'BAD_RESPONSE' // an answer Vigil cannot use (not JSON, wrong shape, too large)
  | 'UNTRUSTED_FILE' // the license file received does not verify with the pinned vendor key
  // refused by the server (its error codes)
  | 'POLICY_DENIED'
  | 'LICENSE_UNUSABLE'
  | 'NO_FREE_SEAT'
  | 'RATE_LIMITED'
  | 'NOT_FOUND'
  | 'INVALID_REQUEST'
  | 'SERVER_ERROR'; // any other error answer (5xx, unknown codes)

/** What the server said when it refused, as far as it said it. */
export interface ServerRefusal {
  status: number;
  /** The server's own code, e.g. `no_free_seat`. */
  code: string;
  message: string;
  details: { path: string; message: string }[];
  /** policy_denied: the decision that stopped the request. */
  decision?: PolicyDecision;
  /** license_unusable: why, e.g. `license_revoked`, `deactivated`. */
  reason?: string;
  /** rate_limited, unavailable: seconds to wait, from Retry-After. */
  retryAfterSeconds?: number;
}

export class LicenseError extends VigilError {
  override readonly name = 'LicenseError';
  constructor(
    readonly code: LicenseErrorCode,
    message: string,
    readonly server?: ServerRefusal,
    options?: VigilErrorOptions,
  ) {
    super(message, options);
  }
}
