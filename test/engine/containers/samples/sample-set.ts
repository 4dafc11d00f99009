/**
 * What every registered container format gives the registry test (registry.test.ts): three samples,
 * made by code. Each generator is called once per test run and its bytes kept.
 */

export type Generate = () => Uint8Array | Promise<Uint8Array>;

export interface SampleSet {
  /** A well-formed sample that the format's reader detects, with at least one entry to take out (two where the format lists several). */
  valid: Generate;
  /** The sample cut short, where its reader still takes it. */
  truncated: Generate;
  /** The sample with bytes of its structure overwritten (its magic kept, so the same reader gets it). */
  corrupted: Generate;
  /**
   * Set (to the reason) when no generator here makes a sample whose entries can be taken out, so
   * the valid sample is only detected: its reader's answer is checked, not its members.
   */
  detectedOnly?: string;
}

/** The first `fraction` of the bytes. */
export function cutShort(b: Uint8Array, fraction = 0.6): Uint8Array {
  return b.subarray(0, Math.max(1, Math.floor(b.length * fraction)));
}

/**
 * A copy with `length` bytes from `at` replaced by pseudo-random ones (xorshift32 from `seed`, so
 * the same on every run); `at` defaults to the middle third, past any magic at the start.
 */
export function scramble(b: Uint8Array, at = Math.floor(b.length / 3), length = Math.max(1, Math.floor(b.length / 3)), seed = 0x9e3779b9): Uint8Array {
  const out = Uint8Array.from(b);
  let x = seed >>> 0 || 1;
  for (let i = at; i < Math.min(out.length, at + length); i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/**
 * A set whose damaged samples derive from the valid one: cut at `cut` (a fraction of its length, or
 * the length to keep), scrambled by `corrupt` (the middle third by default).
 */
export function deriveSampleSet(valid: Generate, opts: { cut?: number | ((b: Uint8Array) => number); corrupt?: (b: Uint8Array) => Uint8Array; detectedOnly?: string } = {}): SampleSet {
  let made: Promise<Uint8Array> | null = null;
  const once = () => (made ??= Promise.resolve(valid()));
  const set: SampleSet = {
    valid: once,
    truncated: async () => {
      const b = await once();
      return typeof opts.cut === 'function' ? b.subarray(0, opts.cut(b)) : cutShort(b, opts.cut);
    },
    corrupted: async () => (opts.corrupt ?? scramble)(await once()),
  };
  if (opts.detectedOnly) set.detectedOnly = opts.detectedOnly;
  return set;
}
