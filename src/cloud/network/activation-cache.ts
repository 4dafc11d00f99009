/**
 * Activation checks for the security network's routes, remembered for a few seconds so that a
 * look-up costs no credential query. An entry holds the secret that was checked (a presented one is
 * compared with it in constant time), the principal, the license's product and the endpoint pseudonym.
 *
 * Staleness bound: an entry is used for at most `ttlMs` (config `networkCacheMs`, default 5 s) by
 * both the monotonic clock and the service clock (so a test that moves the clock misses the cache).
 * A change of licenses or activations made through this process empties the cache at once
 * (`invalidate`, called by the server for every such request, before its answer goes out); one made
 * by another process sharing the store (another server, `vigil cloud` on the data) is seen within
 * `ttlMs`. A check that started before an invalidation is not cached. Refused credentials are never
 * cached: each one is checked against the store.
 */
import { timingSafeEqual } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Principal } from '../auth/index.js';
import type { Clock } from '../config.js';
import { authenticateActivation } from '../licensing/index.js';
import { getLicense } from '../licensing/index.js';
import type { Store } from '../store/index.js';
import { endpointPseudonym } from './network-key.js';

export interface NetworkCaller {
  principal: Principal;
  activationId: string;
  product: string | null;
  /** hex HMAC-SHA256(network key, activation id): the only name the network stores for the machine. */
  pseudonym: string;
}

interface Entry {
  secret: Buffer;
  caller: NetworkCaller;
  realAt: number;
  clockAt: number;
}

export class ActivationCache {
  private readonly entries = new Map<string, Entry>();
  private generation = 0;

  constructor(
    private readonly store: Store,
    private readonly now: Clock,
    private readonly key: Buffer,
    private readonly ttlMs: number,
    private readonly maxEntries = 100_000,
  ) {}

  invalidate(): void {
    this.generation++;
    this.entries.clear();
  }

  async authenticate(id: string, secret: string): Promise<Principal | string> {
    const presented = Buffer.from(secret);
    const hit = this.fresh(id);
    if (hit?.secret.length === presented.length && timingSafeEqual(hit.secret, presented)) return hit.caller.principal;
    const generation = this.generation;
    const clockAt = this.now();
    const principal = await authenticateActivation(this.store, id, secret, clockAt);
    if (typeof principal === 'string') return principal;
    const caller = await this.describe(principal);
    if (generation === this.generation) {
      if (this.entries.size >= this.maxEntries) this.entries.clear();
      this.entries.set(id, { secret: presented, caller, realAt: performance.now(), clockAt: clockAt.getTime() });
    }
    return principal;
  }

  /** The caller behind a principal that presented an activation. */
  async callerOf(principal: Principal): Promise<NetworkCaller> {
    const entry = principal.activation && this.entries.get(principal.activation.id);
    if (entry?.caller.principal.tenantId === principal.tenantId) return entry.caller.principal === principal ? entry.caller : { ...entry.caller, principal };
    return this.describe(principal);
  }

  private fresh(id: string): Entry | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    const clock = this.now().getTime();
    if (performance.now() - entry.realAt < this.ttlMs && clock >= entry.clockAt && clock - entry.clockAt < this.ttlMs) return entry;
    this.entries.delete(id);
    return undefined;
  }

  private async describe(principal: Principal): Promise<NetworkCaller> {
    const activation = principal.activation!;
    const license = await getLicense(this.store, activation.licenseId);
    return { principal, activationId: activation.id, product: license?.product ?? null, pseudonym: endpointPseudonym(this.key, activation.id) };
  }
}
