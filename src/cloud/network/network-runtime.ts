/**
 * The security network's per-process state: the activation cache, the gate with its record of the
 * last decisions, the reader that batches bucket queries, and the two budgets (batches per endpoint per minute, look-up prefixes per
 * caller per hour). The server makes one, authenticates network requests through it, and empties
 * its caches whenever a request may have changed licenses, activations or rules.
 */
import type { Principal } from '../auth/roles.js';
import { HttpError } from '../http/http-error.js';
import type { CloudServices } from '../services.js';
import { ActivationCache, type NetworkCaller } from './activation-cache.js';
import { BucketReader } from './bucket-reader.js';
import { NetworkGate } from './network-gate.js';
import { WindowLimiter } from './window-limiter.js';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

/**
 * Requests that may change who an activation stands for (license and activation changes, a new
 * secret for a machine) or the rules in force: they empty the caches. Asking the gate does not.
 */
const INVALIDATING = /^\/v1\/(?:licenses|activations|policy\/rules|policy\/import)(?:\/|\?|$)/;

export class NetworkRuntime {
  readonly activations: ActivationCache;
  readonly gate: NetworkGate;
  readonly batches: WindowLimiter;
  readonly lookups: WindowLimiter;
  readonly buckets: BucketReader;

  constructor(s: CloudServices) {
    this.activations = new ActivationCache(s.store, s.now, s.networkKey, s.config.networkCacheMs);
    this.gate = new NetworkGate(s);
    this.batches = new WindowLimiter(s.config.networkBatchesPerMinute, MINUTE_MS);
    this.lookups = new WindowLimiter(s.config.networkLookupPrefixesPerHour, HOUR_MS);
    this.buckets = new BucketReader(s.store, s.config.networkDetectionQuorum);
  }

  invalidate(): void {
    this.activations.invalidate();
    this.gate.invalidate();
  }

  /** Whether a request with this method and URL may have changed licenses, activations or rules. */
  static invalidates(method: string, url: string): boolean {
    return method !== 'GET' && method !== 'HEAD' && INVALIDATING.test(url);
  }

  /** The network caller, or 403 `not_entitled` when the caller is no activation of a license with the `network` entitlement. */
  async callerOf(principal: Principal): Promise<NetworkCaller> {
    const activation = principal.activation;
    if (!activation || !activation.entitlements.includes('network')) {
      throw new HttpError(403, 'not_entitled', activation ? 'this license does not include the security network (entitlement "network")' : 'the security network is for activated machines: authenticate with Authorization: Activation <id>.<secret>');
    }
    return this.activations.callerOf(principal);
  }
}
