// The consent categories of the security network, and the category each event kind needs.
import { describe, expect, it } from 'vitest';
import { categoryOfKind, CONSENT_CATEGORIES, isConsentCategory, NETWORK_EVENT_KINDS } from '../../src/protocol/index.js';

describe('network consent categories', () => {
  it('are detections and unknown executables, in that order', () => {
    expect(CONSENT_CATEGORIES).toEqual(['detections', 'unknown-executables']);
  });

  it('maps every event kind to its own category', () => {
    expect(NETWORK_EVENT_KINDS.map(categoryOfKind)).toEqual(['detections', 'unknown-executables']);
  });

  it('recognises only the categories themselves', () => {
    for (const c of CONSENT_CATEGORIES) expect(isConsentCategory(c)).toBe(true);
    for (const v of ['Detections', 'detection', '', null, undefined, 1, ['detections'], { detections: true }, '__proto__', 'toString']) expect(isConsentCategory(v), (JSON.stringify(v) as string | undefined) ?? 'undefined').toBe(false);
  });
});
