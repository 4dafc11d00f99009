/**
 * The one error of `vigil update`. Every refusal says which check failed, so that an operator can
 * tell an attack (a target that does not match, a log that forked) from a network problem, and the
 * CLI can give a policy refusal its own exit code. Whatever the code, the installed database is
 * left as it was.
 */
import { VigilError, type VigilErrorOptions } from '../../protocol/index.js';
import type { PolicyDecision } from '../policy-decision.js';
import type { PolicyNotice } from './policy-notice.js';

export type UpdateClientErrorCode =
  // the command line or the agent's state
  | 'BAD_ARGUMENT'
  | 'NO_TRUSTED_ROOT' // first run without --trusted-root
  | 'NO_SOURCE' // no --server, no --mirror, and no license activation to take the server from
  | 'STATE_CORRUPT' // a file the update keeps is damaged
  | 'STATE_IO'
  | 'BUSY' // another `vigil update` holds the lock on this agent folder
  // fetching
  | 'UNREACHABLE'
  | 'TIMEOUT'
  | 'FETCH_FAILED' // an HTTP error other than a policy refusal, or a missing file
  | 'POLICY_DENIED' // the cloud's jurisdiction policy refuses updates here (HTTP 403 policy_denied)
  | 'LICENSE_REFUSED' // the server refused this machine's activation (HTTP 401): deactivated, revoked, ended or suspended
  | 'NOT_ENTITLED' // the license does not include updates (HTTP 403 not_entitled)
  // TUF (The Update Framework 1.0, client workflow section 5)
  | 'METADATA_REFUSED' // signatures, versions, hashes or lengths of the metadata do not verify
  | 'EXPIRED' // metadata past its `expires` by the client's clock: a freeze attack or a stale mirror
  | 'ROLLBACK' // the repository offers an older release than the one installed
  | 'NO_RELEASE' // the repository lists no release image
  | 'TARGET_REFUSED' // a downloaded image does not match its TUF target
  // the transparency log
  | 'LOG_REFUSED' // the checkpoint does not verify with the keys the root names
  | 'NOT_IN_LOG' // the release is not in the log the checkpoint signs
  | 'LOG_INCONSISTENT' // the log forked, shrank or rewrote its history since the checkpoint kept
  // installing
  | 'IMAGE_INVALID' // a verified image the engine cannot load
  | 'NO_ROLLBACK'; // --rollback without a verified previous database

export class UpdateClientError extends VigilError {
  override readonly name = 'UpdateClientError';
  constructor(
    readonly code: UpdateClientErrorCode,
    message: string,
    options?: VigilErrorOptions & { decision?: PolicyDecision; notice?: PolicyNotice },
  ) {
    super(message, options);
    if (options?.decision) this.decision = options.decision;
    if (options?.notice) this.notice = options.notice;
  }
  /** POLICY_DENIED: the decision the cloud gave (unsigned). */
  decision?: PolicyDecision;
  /** POLICY_DENIED: the signed notice that came with it, verified or why not. */
  notice?: PolicyNotice;
}

/** The server's refusals of this machine (policy, license, entitlement): no other file is tried after one. */
export function isServerRefusal(e: UpdateClientError): boolean {
  return e.code === 'POLICY_DENIED' || e.code === 'LICENSE_REFUSED' || e.code === 'NOT_ENTITLED';
}
