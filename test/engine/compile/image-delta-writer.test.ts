/**
 * The image delta writer is deterministic: two releases of the fixed mixed database give the same
 * delta bytes on every run and across refactorings of the writer, and the delta rebuilds the next
 * release.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createImageDelta } from '../../../src/engine/index.js';
import { applyImageDelta } from '../../../src/protocol/index.js';
import { compileMixed, mixedSources, nextRelease } from './mixed-database.js';

/**
 * SHA-256s of the deltas from compileMixed() to the compiled nextRelease(), computed with the writer
 * as it was in src/cloud/updates/delta-writer.ts before it moved to the engine (issue 15): a change
 * of one is a change of what publishers write, which needs a reason, never a silent update.
 */
const PINNED_DELTA_SHA256 = {
  default: '68f4c70aefe5ea26e5a3a1efb7af768be6938ced7520975ff84471cbca60dd7e',
  stored: 'befff56d1c24b0104e3eabc3c3f634ff851e174de48b70a4d5521f88fc963965',
  wholeImage: '84488e0ec23939179b57342cf18c0812c7a8bf767813b67e7a108681f437ad64',
};

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('image delta writer determinism', () => {
  const base = compileMixed();
  const target = compileMixed({}, nextRelease(mixedSources()));

  it.each([
    ['default', {}],
    ['stored', { deflate: false }],
    ['wholeImage', { sections: false }],
  ] as const)('writes the pinned %s delta between two releases, which rebuilds the second', (kind, options) => {
    const delta = createImageDelta(base, target, 64, options);
    expect(sha(delta)).toBe(PINNED_DELTA_SHA256[kind]);
    expect(Buffer.from(applyImageDelta(base, delta)).equals(target)).toBe(true);
  });

  it('writes a section-aware delta smaller than the whole-image one', () => {
    expect(createImageDelta(base, target).length).toBeLessThan(createImageDelta(base, target, 64, { sections: false }).length);
  });
});
