/**
 * How a release's files are named and marked in the TUF targets metadata (docs/updates.md): the
 * image of release N is the target `vigil-N.vigildb`, the delta from release F to N the target
 * `vigil-F-to-N.vigildelta`, and each carries in its `custom` field
 *
 *   "vigil": { "kind": "image", "release": N }      or      "vigil": { "kind": "delta", "release": N, "from": F }
 *
 * The cloud writes them (cloud/updates); the update client picks its files by them and the auditor
 * checks them against the log. A target whose name and marking disagree is no release file.
 */
import { WireFormatError } from './wire-format-error.js';

/** The member of a target's `custom` that marks a release file. */
export const RELEASE_TARGET_CUSTOM_FIELD = 'vigil';

export type ReleaseTarget = { kind: 'image'; release: number } | { kind: 'delta'; release: number; from: number };

const IMAGE_NAME_RE = /^vigil-([1-9][0-9]{0,15})\.vigildb$/;

/** The target name of release `release`'s image. */
export function imageTargetName(release: number): string {
  return `vigil-${release}.vigildb`;
}

/** The target name of the delta from release `from` to release `to`. */
export function deltaTargetName(from: number, to: number): string {
  return `vigil-${from}-to-${to}.vigildelta`;
}

/** The target name of `target`. */
export function releaseTargetName(target: ReleaseTarget): string {
  return target.kind === 'image' ? imageTargetName(target.release) : deltaTargetName(target.from, target.release);
}

/** The release number an image target name names; undefined for any other name. */
export function parseImageTargetName(name: string): number | undefined {
  const m = IMAGE_NAME_RE.exec(name);
  const n = m ? Number(m[1]) : NaN;
  return Number.isSafeInteger(n) ? n : undefined;
}

/** The `custom` member of a release target. */
export function releaseTargetCustom(target: ReleaseTarget): Record<typeof RELEASE_TARGET_CUSTOM_FIELD, ReleaseTarget> {
  return { [RELEASE_TARGET_CUSTOM_FIELD]: target.kind === 'image' ? { kind: 'image', release: target.release } : { kind: 'delta', release: target.release, from: target.from } };
}

function readRelease(o: Record<string, unknown>, name: string): number {
  const v = o[name];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw new WireFormatError('BAD_VALUE', `custom.${RELEASE_TARGET_CUSTOM_FIELD}.${name}`, 'not a release number (a whole number from 1)');
  return v;
}

/**
 * What a target's `custom` marks it as, whatever its name. Throws WireFormatError naming the field
 * when the marking is absent or malformed.
 */
export function parseReleaseTargetMark(custom: unknown): ReleaseTarget {
  const mark = custom !== null && typeof custom === 'object' ? (custom as Record<string, unknown>)[RELEASE_TARGET_CUSTOM_FIELD] : undefined;
  const field = `custom.${RELEASE_TARGET_CUSTOM_FIELD}`;
  if (mark === undefined) throw new WireFormatError('MISSING_FIELD', field, 'the target is not marked as a release file');
  if (mark === null || typeof mark !== 'object' || Array.isArray(mark)) throw new WireFormatError('MALFORMED', field, 'not an object');
  const o = mark as Record<string, unknown>;
  let target: ReleaseTarget;
  if (o['kind'] === 'image') target = { kind: 'image', release: readRelease(o, 'release') };
  else if (o['kind'] === 'delta') target = { kind: 'delta', release: readRelease(o, 'release'), from: readRelease(o, 'from') };
  else throw new WireFormatError('BAD_VALUE', `${field}.kind`, 'neither image nor delta');
  return target;
}

/**
 * The release file that the target `name` with `custom` is. Throws WireFormatError naming the
 * field when the marking is absent or malformed (parseReleaseTargetMark), or does not agree with the name.
 */
export function parseReleaseTarget(name: string, custom: unknown): ReleaseTarget {
  const target = parseReleaseTargetMark(custom);
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-conversion -- a caller from plain JavaScript or parsed input may pass a non-string here; the check and its message must not throw on it
  if (releaseTargetName(target) !== name) throw new WireFormatError('BAD_VALUE', 'name', `${JSON.stringify(String(name).slice(0, 80))} is not the name of the ${target.kind} it is marked as (${releaseTargetName(target)})`);
  return target;
}
