/** How the API answers an invalid rule or rule set: 400 `invalid_request`, one detail a field of the body. */
import { HttpError } from '../http/index.js';
import { PolicyError } from './errors.js';

export function policyErrorAsHttp(error: unknown): HttpError | undefined {
  if (!(error instanceof PolicyError)) return undefined;
  const details = error.issues.map((i) => ({ path: ['body', ...i.path].join('.'), message: i.message }));
  return new HttpError(400, 'invalid_request', error.message, details);
}
