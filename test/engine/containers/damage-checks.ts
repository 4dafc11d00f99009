/**
 * The checks every container test file runs on damaged input: each sample corrupted at random
 * (fast-check) must still get a verdict, with the bytes the engine held within the stated bound.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import type { Scanner } from '../../../src/engine/index.js';

export const VERDICT_NAMES = ['clean', 'infected', 'incomplete'] as const;

/** Random byte edits (1 to 8) on the given samples: a verdict every time, memory within `bound`. */
export async function expectVerdictsWhenCorrupted(scanner: Scanner, samples: readonly Uint8Array[], bound: number, numRuns = 300): Promise<void> {
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...samples), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), async (sample, edits) => {
      const b = Buffer.from(sample);
      for (const [at, v] of edits) b[at % b.length] = v;
      const r = await scanner.scanBuffer(b);
      expect(VERDICT_NAMES).toContain(r.verdict);
      expect(r.containers?.peakBytesHeld ?? 0).toBeLessThanOrEqual(bound);
    }),
    { numRuns },
  );
}

/** A scan's findings as sorted `Signature @ path` lines (the `.UNOFFICIAL` suffix dropped), for exact comparisons. */
export function findingNames(r: { findings: { signature: string; path: string }[] }): string[] {
  return r.findings.map((f) => `${f.signature.replace(/\.UNOFFICIAL$/, '')} @ ${f.path}`).sort();
}
