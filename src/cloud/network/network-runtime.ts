/**
 * The security network's per-process state: the activation cache, the reader that batches bucket
 * queries, and the two budgets (batches per endpoint per minute, look-up prefixes per caller per
 * hour). The server makes one, authenticates network requests through it, and empties its cache
 * after a route that declares it may change licenses, activations or rules (`changes`, http/route.ts).
 * Its decisions go through the one policy gate (policy/gate.ts).
 */
import type { Principal } from '../auth/index.js';
import { HttpError } from '../http/index.js';
import type { CloudServices } from '../services.js';
import { ActivationCache, type NetworkCaller } from './activation-cache.js';
import { BucketReader } from './bucket-reader.js';
import { WindowLimiter } from './window-limiter.js';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

export class NetworkRuntime {
  readonly activations: ActivationCache;
  readonly batches: WindowLimiter;
  readonly lookups: WindowLimiter;
  readonly buckets: BucketReader;

  constructor(s: CloudServices) {
    this.activations = new ActivationCache(s.store, s.now, s.networkKey, s.config.networkCacheMs);
    this.batches = new WindowLimiter(s.config.networkBatchesPerMinute, MINUTE_MS);
    this.lookups = new WindowLimiter(s.config.networkLookupPrefixesPerHour, HOUR_MS);
    this.buckets = new BucketReader(s.store, s.config.networkDetectionQuorum);
  }

  invalidate(): void {
    this.activations.invalidate();
  }

  /** The network caller, or 403 `not_entitled` when the caller is no activation of a license with the `network` entitlement. */
  async callerOf(principal: Principal): Promise<NetworkCaller> {
    const activation = principal.activation;
    if (!activation?.entitlements.includes('network')) {
      throw new HttpError(403, 'not_entitled', activation ? 'this license does not include the security network (entitlement "network")' : 'the security network is for activated machines: authenticate with Authorization: Activation <id>.<secret>');
    }
    return this.activations.callerOf(principal);
  }
}
