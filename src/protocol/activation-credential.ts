/**
 * How an activated endpoint authenticates to the cloud (docs/cloud-api.md): the activation's id and
 * its secret, in the HTTP Authorization header under the `Activation` scheme (RFC 9110 11.6.2):
 *
 *   Authorization: Activation act_<id>.<secret>
 *
 * The id is `act_` and up to 40 URL-safe base64 characters, the secret up to 100 of them. The
 * agent's update and network clients send it; the cloud's request hook reads it.
 */
import { WireFormatError } from './wire-format-error.js';

export const ACTIVATION_AUTH_SCHEME = 'Activation';

const CREDENTIAL_RE = /^Activation (act_[A-Za-z0-9_-]{1,40})\.([A-Za-z0-9_-]{1,100})$/;

export interface ActivationCredential {
  activationId: string;
  secret: string;
}

/** The Authorization header value for an activation (as kept; the cloud judges it). */
export function formatActivationAuthorization(credential: ActivationCredential): string {
  return `${ACTIVATION_AUTH_SCHEME} ${credential.activationId}.${credential.secret}`;
}

/** An Authorization header read as an activation credential. Throws WireFormatError when it is not one. */
export function parseActivationAuthorization(header: string): ActivationCredential {
  const m = typeof header === 'string' ? CREDENTIAL_RE.exec(header) : null;
  if (!m) throw new WireFormatError('BAD_VALUE', 'authorization', 'not "Activation act_<id>.<secret>" (URL-safe base64, id up to 40 and secret up to 100 characters)');
  return { activationId: m[1]!, secret: m[2]! };
}
