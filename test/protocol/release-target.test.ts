// How release files are named and marked in TUF targets: written by the cloud, picked by the update
// client, checked by the auditor. A marking that disagrees with the name is refused.
import { describe, expect, it } from 'vitest';
import {
  deltaTargetName,
  imageTargetName,
  parseImageTargetName,
  parseReleaseTarget,
  parseReleaseTargetMark,
  RELEASE_TARGET_CUSTOM_FIELD,
  releaseTargetCustom,
  releaseTargetName,
} from '../../src/protocol/index.js';
import { refusal } from './wire-check.js';

describe('release targets', () => {
  it('names images and deltas as documented, and marks them in custom.vigil', () => {
    expect(imageTargetName(12)).toBe('vigil-12.vigildb');
    expect(deltaTargetName(11, 12)).toBe('vigil-11-to-12.vigildelta');
    expect(RELEASE_TARGET_CUSTOM_FIELD).toBe('vigil');
    expect(releaseTargetCustom({ kind: 'image', release: 12 })).toEqual({ vigil: { kind: 'image', release: 12 } });
    expect(releaseTargetCustom({ kind: 'delta', release: 12, from: 11, extra: 1 } as never)).toEqual({ vigil: { kind: 'delta', release: 12, from: 11 } });
  });

  it('reads back what it writes', () => {
    for (const t of [{ kind: 'image', release: 1 }, { kind: 'delta', release: 9, from: 3 }, { kind: 'image', release: Number.MAX_SAFE_INTEGER }] as const) {
      expect(parseReleaseTarget(releaseTargetName(t), releaseTargetCustom(t))).toEqual(t);
    }
  });

  it('reads an image number from a name, and nothing from other names', () => {
    expect(parseImageTargetName('vigil-7.vigildb')).toBe(7);
    for (const name of ['vigil-0.vigildb', 'vigil-07.vigildb', 'vigil-7.vigildb.exe', 'vigil--7.vigildb', 'vigil-1-to-2.vigildelta', 'vigil-99999999999999999.vigildb', '', 'x/vigil-7.vigildb']) {
      expect(parseImageTargetName(name), name).toBeUndefined();
    }
  });

  it('refuses a missing or malformed marking, naming the field', () => {
    const cases: [unknown, string, string][] = [
      [undefined, 'MISSING_FIELD', 'custom.vigil'],
      [null, 'MISSING_FIELD', 'custom.vigil'],
      [{}, 'MISSING_FIELD', 'custom.vigil'],
      [{ vigil: null }, 'MALFORMED', 'custom.vigil'],
      [{ vigil: ['image', 1] }, 'MALFORMED', 'custom.vigil'],
      [{ vigil: { kind: 'script', release: 1 } }, 'BAD_VALUE', 'custom.vigil.kind'],
      [{ vigil: { kind: 'image', release: 0 } }, 'BAD_VALUE', 'custom.vigil.release'],
      [{ vigil: { kind: 'image', release: '1' } }, 'BAD_VALUE', 'custom.vigil.release'],
      [{ vigil: { kind: 'image', release: 1.5 } }, 'BAD_VALUE', 'custom.vigil.release'],
      [{ vigil: { kind: 'delta', release: 2 } }, 'BAD_VALUE', 'custom.vigil.from'],
      [{ vigil: { kind: 'delta', release: 2, from: -1 } }, 'BAD_VALUE', 'custom.vigil.from'],
    ];
    for (const [custom, code, field] of cases) expect(refusal(() => parseReleaseTargetMark(custom)), JSON.stringify(custom)).toMatchObject({ code, field });
  });

  it('refuses a target whose name is not the one of what it is marked as', () => {
    expect(refusal(() => parseReleaseTarget('vigil-2.vigildb', { vigil: { kind: 'image', release: 3 } }))).toMatchObject({ code: 'BAD_VALUE', field: 'name' });
    expect(refusal(() => parseReleaseTarget('vigil-1-to-3.vigildelta', { vigil: { kind: 'delta', release: 3, from: 2 } }))).toMatchObject({ field: 'name' });
    expect(refusal(() => parseReleaseTarget('vigil-3.vigildb', { vigil: { kind: 'delta', release: 3, from: 2 } }))).toMatchObject({ field: 'name' });
    // The mark alone says what it is, whatever the name (the auditor reports such targets).
    expect(parseReleaseTargetMark({ vigil: { kind: 'image', release: 3 } })).toEqual({ kind: 'image', release: 3 });
  });
});
