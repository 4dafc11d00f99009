/**
 * Reputation look-ups with k-anonymity: the cloud is told only the first PREFIX_HEX_CHARS hex
 * digits (4 bytes) of each SHA-256, answers with every full hash it knows in those buckets, and the
 * match is made here; the cloud never learns which file, of the many sharing a prefix, was seen.
 * (The same scheme as "Have I Been Pwned"'s range queries and Google Safe Browsing's hash prefixes.)
 *
 * The cache (reputation-cache.ts) answers first; the cloud is asked only about buckets not fresh in
 * it, up to LOOKUP_MAX_PREFIXES per request, each request bounded by the timeout. A look-up never
 * throws: whatever goes wrong leaves the files without a cloud verdict and says why.
 */
import { MAX_PREFIXES_PER_LOOKUP, prefixOf } from '../../protocol/index.js';
import type { KnownHash, NetworkClient } from './network-client.js';
import { NetworkError } from './network-error.js';
import type { NetworkStop } from './network-state.js';
import type { NetworkStore } from './network-store.js';
import { stopFor } from './sender.js';

/** Hex digits of a prefix sent: 8, that is 4 bytes (the wire contract, protocol/hash-prefix.ts). */
export { PREFIX_HEX_CHARS, prefixOf } from '../../protocol/index.js';
/** Prefixes per request at most (the wire contract, protocol/hash-prefix.ts). */
export const LOOKUP_MAX_PREFIXES = MAX_PREFIXES_PER_LOOKUP;
/** How long a scan waits for the cloud by default, in milliseconds (`--cloud-timeout`). */
export const DEFAULT_CLOUD_TIMEOUT_MS = 1500;

export interface ReputationOutcome {
  /** Hashes the cloud knows (from the cache or just now), with their verdict. */
  known: Map<string, KnownHash>;
  /** Hashes whose bucket was looked up (now or while cached) without them: unknown to the cloud. */
  unknown: Set<string>;
  /** Hashes nobody could answer for (no cloud, or it failed). */
  unanswered: Set<string>;
  /** Prefixes sent to the cloud. */
  asked: number;
  /** Why the cloud gave no answer, when it did not. */
  error?: NetworkError;
  /** The cloud stopped look-ups (policy_denied and the like) in this call. */
  stop?: NetworkStop;
}

export interface LookupOptions {
  store: NetworkStore;
  /** Undefined: cache only (look-ups stopped, or no cloud for this run). */
  client: NetworkClient | undefined;
  timeoutMs: number;
  now: () => Date;
}

/** Whether the cloud may be asked now: look-ups are not stopped and no Retry-After is pending. */
export function lookupsAllowed(store: NetworkStore, now: Date): boolean {
  if (store.state.get('lookup_stop')) return false;
  const notBefore = store.state.get('lookup_not_before');
  return notBefore === undefined || Date.parse(notBefore) <= now.getTime();
}

export async function lookUpReputation(hashes: readonly string[], options: LookupOptions): Promise<ReputationOutcome> {
  const out: ReputationOutcome = { known: new Map(), unknown: new Set(), unanswered: new Set(), asked: 0 };
  const { store } = options;
  const needed = new Map<string, string[]>(); // prefix -> hashes not answered by the cache
  try {
    const now = options.now();
    for (const sha of new Set(hashes)) {
      const cached = store.cache.get(sha, now);
      if (cached) out.known.set(sha, cached);
      else if (store.cache.bucketFresh(prefixOf(sha), now)) out.unknown.add(sha);
      else needed.set(prefixOf(sha), [...(needed.get(prefixOf(sha)) ?? []), sha]);
    }
    const prefixes = [...needed.keys()];
    if (prefixes.length > 0 && options.client && lookupsAllowed(store, now)) {
      for (let i = 0; i < prefixes.length; i += LOOKUP_MAX_PREFIXES) {
        const chunk = prefixes.slice(i, i + LOOKUP_MAX_PREFIXES);
        out.asked += chunk.length;
        const answer = await options.client.lookup(chunk, { timeoutMs: options.timeoutMs });
        const at = options.now();
        store.cache.store(chunk, answer, at);
        const byPrefix = new Map(answer.results.map((r) => [r.prefix, new Map(r.hashes.map((h) => [h.sha256, h]))]));
        for (const prefix of chunk) {
          for (const sha of needed.get(prefix) ?? []) {
            const hit = byPrefix.get(prefix)?.get(sha);
            if (hit) out.known.set(sha, hit);
            else out.unknown.add(sha);
          }
          needed.delete(prefix);
        }
      }
    }
  } catch (e) {
    const err = e instanceof NetworkError ? e : new NetworkError('STATE_IO', `the reputation look-up failed: ${(e as Error).message}`, undefined, { cause: e });
    out.error = err;
    try {
      const at = options.now();
      store.state.recordError(err.code, err.message, at);
      const stop = stopFor(err, at);
      if (stop) {
        store.state.set('lookup_stop', stop);
        out.stop = stop;
      }
      if (err.code === 'RATE_LIMITED') {
        const wait = Math.max(err.server?.retryAfterSeconds ?? 60, 1);
        store.state.set('lookup_not_before', new Date(at.getTime() + wait * 1000).toISOString());
      }
    } catch {
      // the store itself failed: nothing more to keep
    }
  }
  for (const list of needed.values()) for (const sha of list) out.unanswered.add(sha);
  return out;
}
