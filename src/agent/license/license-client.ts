/**
 * The license server's four calls that an agent makes (the cloud's activation-routes.ts), over
 * fetch, each bounded in time and in the size of its answer. An error answer
 * (`{ error: { code, message, details, ... } }`) becomes a LicenseError with the server's code and
 * what came with it; the shape of a success is checked before anyone uses it. Redirects are not
 * followed: they would carry the activation secret to another address.
 */
import { LicenseError, type LicenseErrorCode } from './license-error.js';
import { formatWait, readCappedText, readJsonAnswer, readRefusal, transportFailure } from '../cloud-answer.js';
import { readPolicyNotices, type PolicyDecision } from '../policy-decision.js';

/** How long one request may take, answer included, in milliseconds. */
export const LICENSE_REQUEST_TIMEOUT_MS = 30_000;
/** The largest answer read, in bytes (a license file is about 2 KiB). */
export const LICENSE_RESPONSE_MAX_BYTES = 1024 * 1024;

export interface LicenseClientOptions {
  /** Base URL of the license server, e.g. https://licensing.example.com (a path prefix is kept). */
  server: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface VendorKeyAnswer {
  key_id: string;
  algorithm: string;
  pem: string;
}

export interface ActivationAnswer {
  activation_id: string;
  secret: string;
  reused_seat: boolean;
  /** Unverified: the caller verifies it with the pinned vendor key. */
  license_file: unknown;
  notices: PolicyDecision[];
}

export interface RefreshAnswer {
  license_file: unknown;
  notices: PolicyDecision[];
}

export interface DeactivationAnswer {
  activation_id: string;
  deactivated_at: string;
}

const SERVER_CODES: Record<string, LicenseErrorCode> = {
  policy_denied: 'POLICY_DENIED',
  license_unusable: 'LICENSE_UNUSABLE',
  no_free_seat: 'NO_FREE_SEAT',
  rate_limited: 'RATE_LIMITED',
  not_found: 'NOT_FOUND',
  invalid_request: 'INVALID_REQUEST',
};

export class LicenseClient {
  private readonly base: URL;
  private readonly timeoutMs: number;
  private readonly fetch: typeof fetch;

  constructor(private readonly options: LicenseClientOptions) {
    let base: URL;
    try {
      base = new URL(options.server.endsWith('/') ? options.server : `${options.server}/`);
    } catch {
      throw new LicenseError('BAD_SERVER_URL', `"${options.server}" is not a URL; give the license server as https://host[:port]`);
    }
    if ((base.protocol !== 'https:' && base.protocol !== 'http:') || base.username || base.password || base.search || base.hash) {
      throw new LicenseError('BAD_SERVER_URL', `"${options.server}" is not an http(s) URL without credentials, query or fragment`);
    }
    this.base = base;
    this.timeoutMs = options.timeoutMs ?? LICENSE_REQUEST_TIMEOUT_MS;
    this.fetch = options.fetch ?? fetch;
  }

  get server(): string {
    return this.options.server;
  }

  async publicKey(): Promise<VendorKeyAnswer> {
    const v = await this.call('GET', 'v1/licensing/public-key');
    return { key_id: requireText(v, 'key_id'), algorithm: requireText(v, 'algorithm'), pem: requireText(v, 'pem', 10_000) };
  }

  async activate(body: { key: string; fingerprint: string; machine_name: string; declared_location?: string }): Promise<ActivationAnswer> {
    const v = await this.call('POST', 'v1/activations', body);
    if (typeof v['reused_seat'] !== 'boolean') throw badResponse('"reused_seat" is not true or false');
    return {
      activation_id: requireText(v, 'activation_id'),
      secret: requireText(v, 'secret'),
      reused_seat: v['reused_seat'],
      license_file: requireMember(v, 'license_file'),
      notices: readPolicyNotices(v['notices']),
    };
  }

  async refresh(activationId: string, body: { secret: string; declared_location?: string }): Promise<RefreshAnswer> {
    const v = await this.call('POST', `v1/activations/${encodeURIComponent(activationId)}/refresh`, body);
    return { license_file: requireMember(v, 'license_file'), notices: readPolicyNotices(v['notices']) };
  }

  async deactivate(activationId: string, secret: string): Promise<DeactivationAnswer> {
    const v = await this.call('POST', `v1/activations/${encodeURIComponent(activationId)}/deactivate`, { secret });
    return { activation_id: requireText(v, 'activation_id'), deactivated_at: requireText(v, 'deactivated_at') };
  }

  /** One request; the JSON object of a success, or a thrown LicenseError. */
  private async call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Record<string, unknown>> {
    const url = new URL(path, this.base);
    let response: Response;
    const signal = AbortSignal.timeout(this.timeoutMs);
    try {
      response = await this.fetch(url, {
        method,
        redirect: 'manual',
        signal,
        headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (e) {
      throw this.transportError(e);
    }
    let text: string;
    try {
      text = await readCappedText(response, LICENSE_RESPONSE_MAX_BYTES, badResponse);
    } catch (e) {
      if (e instanceof LicenseError) throw e;
      throw this.transportError(e);
    }
    return readJsonAnswer(response, text, `${method} ${url.pathname}`, refusalOf, badResponse);
  }

  private transportError(e: unknown): LicenseError {
    const failure = transportFailure(e, this.base);
    if (failure.timeout) return new LicenseError('TIMEOUT', `the license server at ${this.options.server} did not answer within ${formatWait(this.timeoutMs)}`, undefined, { cause: e });
    return new LicenseError('UNREACHABLE', `cannot reach the license server at ${this.options.server} (${failure.why})`, undefined, { cause: e });
  }

}

function badResponse(why: string): LicenseError {
  return new LicenseError('BAD_RESPONSE', `the license server's answer cannot be used: ${why}`);
}

function requireMember(v: Record<string, unknown>, name: string): unknown {
  if (!Object.prototype.hasOwnProperty.call(v, name)) throw badResponse(`"${name}" is missing`);
  return v[name];
}

function requireText(v: Record<string, unknown>, name: string, max = 500): string {
  const s = requireMember(v, name);
  if (typeof s !== 'string' || s.length === 0 || s.length > max) throw badResponse(`"${name}" is not a string of 1 to ${max} characters`);
  return s;
}

/** An error answer as a LicenseError; a body that is not the API's error shape still gives the status. */
function refusalOf(response: Response, parsed: unknown): LicenseError {
  const refusal = readRefusal(response, parsed);
  return new LicenseError(SERVER_CODES[refusal.code] ?? 'SERVER_ERROR', refusal.message, refusal);
}
