/**
 * Fixed-window budgets per caller, in this process's memory: a window opens at a caller's first use
 * and lasts `windowMs`; what it spends beyond `limit` is refused until the window ends. The
 * security network uses two: event batches per endpoint per minute (a flood from one endpoint is
 * refused without touching the others' budgets) and look-up prefixes per caller per hour (so the
 * reputation database cannot be enumerated bucket by bucket).
 *
 * Non-goals: the budgets are per process (behind a load balancer with P processes a caller may get
 * up to P budgets), and a restart forgets them. Keeping them in the store would put a write on
 * every look-up. At most `maxKeys` callers are tracked; past that, finished windows are dropped,
 * and if every window is still open the oldest half goes.
 */
export type Take = { ok: true; remaining: number } | { ok: false; retryAfterSeconds: number; limit: number };

interface Window {
  start: number;
  used: number;
}

export class WindowLimiter {
  private readonly windows = new Map<string, Window>();

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly maxKeys = 100_000,
  ) {}

  /** Spends `cost` of `key`'s budget at `nowMs`, or refuses (spending nothing) with the seconds to wait. */
  take(key: string, cost: number, nowMs: number): Take {
    let window = this.windows.get(key);
    // A new window when none is open, the last one ended, or the clock went back.
    if (!window || nowMs >= window.start + this.windowMs || nowMs < window.start) {
      this.makeRoom(nowMs);
      window = { start: nowMs, used: 0 };
      this.windows.set(key, window);
    }
    if (window.used + cost > this.limit) {
      const waitMs = cost > this.limit ? this.windowMs : window.start + this.windowMs - nowMs;
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)), limit: this.limit };
    }
    window.used += cost;
    return { ok: true, remaining: this.limit - window.used };
  }

  private makeRoom(nowMs: number): void {
    if (this.windows.size < this.maxKeys) return;
    for (const [key, w] of this.windows) if (w.start + this.windowMs <= nowMs || w.start > nowMs) this.windows.delete(key);
    if (this.windows.size < this.maxKeys) return;
    let drop = Math.ceil(this.windows.size / 2);
    for (const key of this.windows.keys()) {
      if (drop-- <= 0) break;
      this.windows.delete(key);
    }
  }
}
