/**
 * Exponential backoff with full jitter: before retry n (0 for the first retry) wait a random time
 * between 0 and min(cap, base * 2^n). Spreading retries over the whole window keeps endpoints that
 * lost the cloud at the same moment from coming back in step (M. Brooker, "Exponential Backoff And
 * Jitter", AWS Architecture Blog, 2015: "Full Jitter"). A Retry-After from the cloud is a floor.
 */

/** The first window, in milliseconds. */
export const BACKOFF_BASE_MS = 1000;
/** The largest window, in milliseconds (5 minutes). */
export const BACKOFF_CAP_MS = 5 * 60_000;

/** Where time and chance come from; tests inject their own. */
export interface Clock {
  now(): Date;
  sleep(ms: number): Promise<void>;
  /** Uniform in [0, 1). */
  random(): number;
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
};

/** The wait before retry `failures - 1` (after `failures` failures in a row), in whole milliseconds. */
export function backoffDelay(failures: number, random: () => number, baseMs = BACKOFF_BASE_MS, capMs = BACKOFF_CAP_MS): number {
  const exponent = Math.min(Math.max(failures - 1, 0), 30); // 2^30 s is far past any cap
  const window = Math.min(capMs, baseMs * 2 ** exponent);
  const r = Math.min(Math.max(random(), 0), 1 - Number.EPSILON);
  return Math.floor(r * window);
}
