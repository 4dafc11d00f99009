/**
 * The security network's four calls (the cloud's `/v1/network` routes), over fetch, authenticated
 * with this machine's activation (`Authorization: Activation <id>.<secret>`), each bounded in time
 * and in the size of its answer. An error answer (`{ error: { code, message, details, ... } }`)
 * becomes a NetworkError with the cloud's code and what came with it; a success's shape is checked
 * before anyone uses it. Redirects are not followed: they would carry the credential elsewhere.
 */
import { formatWait, readCappedText, readJsonAnswer, readRefusal, transportFailure } from '../cloud-answer.js';
import { serverText } from '../server-text.js';
import { readActivation } from '../license/index.js';
import { formatActivationAuthorization, isConsentCategory, type ConsentCategory } from '../../protocol/index.js';
import { NetworkError, type NetworkErrorCode } from './network-error.js';
import type { NetworkEvent } from './network-event.js';

/** How long one request may take by default, answer included, in milliseconds. */
export const NETWORK_REQUEST_TIMEOUT_MS = 15_000;
/** The largest answer read, in bytes (1000 buckets of known hashes). */
export const NETWORK_RESPONSE_MAX_BYTES = 8 * 1024 * 1024;

export interface NetworkClientOptions {
  /** The cloud's base URL (the license server the machine activated with). */
  server: string;
  activationId: string;
  secret: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface ConsentAnswer {
  enabled: boolean;
  categories: ConsentCategory[];
  recorded_at: string;
}

export interface EventsAnswer {
  batch_id: string;
  accepted: number;
  duplicate: boolean;
}

export type Verdict = 'malicious' | 'clean';

export interface KnownHash {
  sha256: string;
  verdict: Verdict;
  source: string;
  detection_names: string[];
}

export interface LookupAnswer {
  cache_seconds: number;
  results: { prefix: string; hashes: KnownHash[] }[];
}

/** Per call: a deadline shorter than the client's timeout (a scan's look-up budget). */
export interface CallOptions {
  timeoutMs?: number;
}

const CLOUD_CODES: Record<string, NetworkErrorCode> = {
  policy_denied: 'POLICY_DENIED',
  consent_required: 'CONSENT_REQUIRED',
  not_entitled: 'NOT_ENTITLED',
  conflict: 'CONFLICT',
  rate_limited: 'RATE_LIMITED',
  unauthenticated: 'UNAUTHENTICATED',
  invalid_request: 'INVALID_REQUEST',
};

/** The longest cache time taken from the cloud (30 days), in seconds. */
export const CACHE_SECONDS_MAX = 30 * 86_400;
const HEX64_RE = /^[0-9a-f]{64}$/;

export class NetworkClient {
  private readonly base: URL;
  private readonly timeoutMs: number;
  private readonly fetch: typeof fetch;
  private readonly authorization: string;

  constructor(private readonly options: NetworkClientOptions) {
    try {
      this.base = new URL(options.server.endsWith('/') ? options.server : `${options.server}/`);
    } catch {
      throw new NetworkError('STATE_CORRUPT', `"${options.server}" is not a URL`);
    }
    this.timeoutMs = options.timeoutMs ?? NETWORK_REQUEST_TIMEOUT_MS;
    this.fetch = options.fetch ?? fetch;
    this.authorization = formatActivationAuthorization({ activationId: options.activationId, secret: options.secret });
  }

  get server(): string {
    return this.options.server;
  }

  async putConsent(body: { enabled: boolean; categories: ConsentCategory[] }, call: CallOptions = {}): Promise<ConsentAnswer> {
    return readConsentAnswer(await this.call('PUT', 'v1/network/consent', body, call));
  }

  async getConsent(call: CallOptions = {}): Promise<ConsentAnswer> {
    return readConsentAnswer(await this.call('GET', 'v1/network/consent', undefined, call));
  }

  async sendEvents(batchId: string, events: NetworkEvent[], call: CallOptions = {}): Promise<EventsAnswer> {
    const v = await this.call('POST', 'v1/network/events', { batch_id: batchId, events }, call);
    if (v['batch_id'] !== batchId) throw badResponse(`the acknowledgement is for batch ${serverText(v['batch_id'], 64) ?? '(none)'}, not ${batchId}`);
    if (!Number.isSafeInteger(v['accepted']) || (v['accepted'] as number) < 0) throw badResponse('"accepted" is not a count');
    if (typeof v['duplicate'] !== 'boolean') throw badResponse('"duplicate" is not true or false');
    return { batch_id: batchId, accepted: v['accepted'] as number, duplicate: v['duplicate'] };
  }

  /**
   * Known hashes in the buckets of `prefixes`. Entries that are not of a bucket asked for, or not
   * well formed, are left out: an answer cannot put verdicts into buckets nobody asked about.
   */
  async lookup(prefixes: string[], call: CallOptions = {}): Promise<LookupAnswer> {
    const v = await this.call('POST', 'v1/network/lookups', { prefixes }, call);
    const seconds = v['cache_seconds'];
    if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) throw badResponse('"cache_seconds" is not a number of seconds');
    if (!Array.isArray(v['results'])) throw badResponse('"results" is not a list');
    const asked = new Set(prefixes);
    const results: LookupAnswer['results'] = [];
    for (const r of v['results'] as unknown[]) {
      const o = r as Record<string, unknown> | null;
      const prefix = o?.['prefix'];
      if (typeof prefix !== 'string' || !asked.has(prefix) || !Array.isArray(o?.['hashes'])) continue;
      const hashes: KnownHash[] = [];
      for (const h of o['hashes'] as unknown[]) {
        const e = h as Record<string, unknown> | null;
        const sha = e?.['sha256'];
        const verdict = e?.['verdict'];
        if (typeof sha !== 'string' || !HEX64_RE.test(sha) || !sha.startsWith(prefix)) continue;
        if (verdict !== 'malicious' && verdict !== 'clean') continue;
        const names = Array.isArray(e?.['detection_names']) ? (e['detection_names'] as unknown[]).slice(0, 20).flatMap((n) => (typeof n === 'string' ? [serverText(n, 200)!] : [])) : [];
        hashes.push({ sha256: sha, verdict, source: serverText(e?.['source'], 100) ?? 'cloud', detection_names: names });
      }
      results.push({ prefix, hashes });
    }
    return { cache_seconds: Math.min(Math.floor(seconds), CACHE_SECONDS_MAX), results };
  }

  private async call(method: 'GET' | 'PUT' | 'POST', path: string, body: unknown, call: CallOptions): Promise<Record<string, unknown>> {
    const url = new URL(path, this.base);
    const timeoutMs = Math.max(1, Math.min(call.timeoutMs ?? this.timeoutMs, this.timeoutMs));
    let response: Response;
    let text: string;
    try {
      response = await this.fetch(url, {
        method,
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
        headers: { accept: 'application/json', authorization: this.authorization, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      text = await readCappedText(response, NETWORK_RESPONSE_MAX_BYTES, badResponse);
    } catch (e) {
      if (e instanceof NetworkError) throw e;
      throw this.transportError(e, timeoutMs);
    }
    return readJsonAnswer(response, text, `${method} ${url.pathname}`, refusalOf, badResponse);
  }

  private transportError(e: unknown, timeoutMs: number): NetworkError {
    const failure = transportFailure(e, this.base);
    if (failure.timeout) return new NetworkError('TIMEOUT', `the cloud at ${this.options.server} did not answer within ${formatWait(timeoutMs)}`, undefined, { cause: e });
    return new NetworkError('UNREACHABLE', `cannot reach the cloud at ${this.options.server} (${failure.why})`, undefined, { cause: e });
  }

}

/** A client for the activation kept in `agentDir`; NOT_ACTIVATED when there is none. */
export function networkClientFor(agentDir: string, options: { timeoutMs?: number; fetch?: typeof fetch } = {}): NetworkClient {
  let activation;
  try {
    activation = readActivation(agentDir);
  } catch (e) {
    throw new NetworkError('STATE_CORRUPT', (e as Error).message, undefined, { cause: e });
  }
  if (!activation) throw new NetworkError('NOT_ACTIVATED', 'this machine has no license activation; the security network needs one: activate with "vigil license activate KEY"');
  return new NetworkClient({ server: activation.server, activationId: activation.activation_id, secret: activation.secret, ...options });
}

function readConsentAnswer(v: Record<string, unknown>): ConsentAnswer {
  if (typeof v['enabled'] !== 'boolean') throw badResponse('"enabled" is not true or false');
  const cats = v['categories'];
  if (!Array.isArray(cats)) throw badResponse('"categories" is not a list');
  const categories = cats.filter(isConsentCategory);
  const at = v['recorded_at'];
  if (typeof at !== 'string' || Number.isNaN(Date.parse(at))) throw badResponse('"recorded_at" is not a time');
  return { enabled: v['enabled'], categories, recorded_at: new Date(at).toISOString() };
}

function badResponse(why: string): NetworkError {
  return new NetworkError('BAD_RESPONSE', `the cloud's answer cannot be used: ${why}`);
}

function refusalOf(response: Response, parsed: unknown): NetworkError {
  const refusal = readRefusal(response, parsed);
  const code = refusal.code;
  let mapped = CLOUD_CODES[code];
  if (mapped === undefined) {
    if (response.status === 401) mapped = 'UNAUTHENTICATED';
    else if (response.status === 409) mapped = 'CONFLICT';
    else if (response.status === 429) mapped = 'RATE_LIMITED';
    else mapped = 'SERVER_ERROR';
  }
  return new NetworkError(mapped, refusal.message, refusal);
}
