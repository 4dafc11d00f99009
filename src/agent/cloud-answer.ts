/**
 * Reading the cloud's answers on the agent side, shared by the license and network clients: a body
 * read with a hard byte cap, the API's error shape turned into a ServerRefusal (every text from the
 * server bounded and cleaned), Retry-After, and a transport failure described in one phrase.
 */
import { readPolicyDecision } from './policy-decision.js';
import type { ServerRefusal } from './license/index.js';
import { serverText } from './server-text.js';

/** Retry-After (RFC 9110 10.2.3): delay-seconds or an HTTP-date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: Date = new Date()): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d{1,10}$/.test(text)) return Number(text);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now.getTime()) / 1000));
}

/** The body as text, refusing (with `tooLarge(why)`) to read past `maxBytes`, declared or streamed. */
export async function readCappedText(response: Response, maxBytes: number, tooLarge: (why: string) => Error): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) throw tooLarge(`the answer is ${declared} bytes, more than the ${maxBytes} accepted`);
  if (!response.body) return '';
  const reader = (response.body as ReadableStream<Uint8Array>).getReader(); // fetch bodies are byte streams
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw tooLarge(`the answer is more than the ${maxBytes} bytes accepted`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The JSON object of a successful answer. A redirect, an error answer (`refuse` turns it into the
 * client's error) or anything but a JSON object is refused; `bad(why)` makes the client's error.
 */
export function readJsonAnswer(response: Response, text: string, what: string, refuse: (response: Response, parsed: unknown) => Error, bad: (why: string) => Error): Record<string, unknown> {
  if (response.status >= 300 && response.status < 400) {
    throw bad(`the server redirects to ${serverText(response.headers.get('location'), 200) ?? 'another address'}; give that address as the server`);
  }
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!response.ok) throw refuse(response, parsed);
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw bad(`${what} answered ${response.status} without a JSON object`);
  return parsed as Record<string, unknown>;
}

/** An error answer as a ServerRefusal; a body that is not the API's error shape still gives the status. */
export function readRefusal(response: Response, parsed: unknown): ServerRefusal {
  const error = (parsed as { error?: unknown } | undefined)?.error;
  const e = error !== null && typeof error === 'object' && !Array.isArray(error) ? (error as Record<string, unknown>) : {};
  const code = serverText(e['code'], 100) ?? (response.status >= 500 ? 'server_error' : 'error');
  const refusal: ServerRefusal = {
    status: response.status,
    code,
    message: serverText(e['message']) ?? `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`,
    details: Array.isArray(e['details'])
      ? e['details'].slice(0, 20).flatMap((d: unknown) => {
          const path = serverText((d as Record<string, unknown> | null)?.['path'], 200);
          const message = serverText((d as Record<string, unknown> | null)?.['message'], 500);
          return path !== undefined && message !== undefined ? [{ path, message }] : [];
        })
      : [],
  };
  const decision = readPolicyDecision(e['decision']);
  if (decision) refusal.decision = decision;
  const reason = serverText(e['reason'], 100);
  if (reason !== undefined) refusal.reason = reason;
  const retry = parseRetryAfter(response.headers.get('retry-after'));
  if (retry !== undefined) refusal.retryAfterSeconds = retry;
  return refusal;
}

/**
 * Whether a fetch was stopped by its signal. fetch rejects with the signal's reason: a DOMException
 * whose legacy code is TIMEOUT_ERR (AbortSignal.timeout) or ABORT_ERR (WHATWG DOM, "DOMException"
 * names table); Node's own AbortError (streams, timers) carries the code 'ABORT_ERR'.
 */
export function isAbortedFetch(e: unknown): boolean {
  if (e instanceof DOMException) return e.code === DOMException.TIMEOUT_ERR || e.code === DOMException.ABORT_ERR;
  return (e as NodeJS.ErrnoException | null)?.code === 'ABORT_ERR';
}

/** What stopped a fetch: its timeout, or the reason it could not connect (a system code when there is one). */
export function transportFailure(e: unknown, base: URL): { timeout: true } | { timeout: false; why: string } {
  const err = e as (Partial<Error> & { cause?: unknown }) | null | undefined;
  if (isAbortedFetch(e)) return { timeout: true };
  const cause = err?.cause as (Error & { code?: string }) | undefined;
  const raw = cause?.code ?? cause?.message ?? err?.message ?? String(e);
  // fetch refuses the ports of the WHATWG "bad port" list (e.g. 1, 9, 25) without trying them.
  return { timeout: false, why: raw === 'bad port' ? `fetch refuses to connect to port ${base.port || 'of this URL'}` : raw };
}

/** A duration for messages: "800 ms", "2 s", "1.5 s". */
export function formatWait(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`;
}
