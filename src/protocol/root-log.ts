/**
 * The transparency log a TUF root vouches for (docs/updates.md, "The transparency log"): an extra
 * field of the root's signed part (TUF 1.0 allows unrecognised fields; clients that do not know it
 * ignore it), so that the log key is trusted exactly as far as the root is:
 *
 *   "x-vigil-log": { "origin": "<log origin>", "key": "<note verifier key>", "clock": "<clock vkey>" }
 *
 * `key` is a C2SP signed-note verifier key of the log, `clock` the vkey of its clock cosigner
 * (tlog/clock-cosignature.ts). The cloud writes it (cloud/updates/tuf-metadata.ts); the update
 * client and the auditor read it.
 */
import { WireFormatError } from './wire-format-error.js';

/** The root's extra signed field naming the transparency log. */
export const ROOT_LOG_FIELD = 'x-vigil-log';
/** The longest origin or key string read from a root, in characters. */
export const ROOT_LOG_MAX_CHARS = 1024;

export interface RootLogInfo {
  origin: string;
  key: string;
  clock: string;
}

/** The field as the auditor reads it: roots written before the clock existed name none. */
export type RootLogFields = Omit<RootLogInfo, 'clock'> & { clock: string | undefined };

/** The root's signed fields with the log field set to `info` (for building a root). */
export function withRootLogField<T extends object>(signed: T, info: RootLogInfo): T & { [ROOT_LOG_FIELD]: RootLogInfo } {
  return { ...signed, [ROOT_LOG_FIELD]: { origin: info.origin, key: info.key, clock: info.clock } };
}

function readText(info: Record<string, unknown>, name: string, required: boolean): string | undefined {
  // Own members only: never a value inherited from a prototype.
  const v = Object.prototype.hasOwnProperty.call(info, name) ? info[name] : undefined;
  const field = `${ROOT_LOG_FIELD}.${name}`;
  if (v === undefined) {
    if (required) throw new WireFormatError('MISSING_FIELD', field, 'missing');
    return undefined;
  }
  if (typeof v !== 'string') throw new WireFormatError('MALFORMED', field, `not a string but ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}`);
  if (v.length === 0 || v.length > ROOT_LOG_MAX_CHARS) throw new WireFormatError('BAD_VALUE', field, `not 1 to ${ROOT_LOG_MAX_CHARS} characters`);
  return v;
}

/**
 * Reads `x-vigil-log` from a root's unrecognised fields, the clock optional. Throws
 * WireFormatError naming the field when it is absent, not an object, or has a member of the wrong
 * type. Members it does not know are ignored, as TUF ignores unknown fields: a later root may add one.
 */
export function parseRootLogFields(unrecognizedFields: Record<string, unknown>): RootLogFields {
  const info = unrecognizedFields[ROOT_LOG_FIELD];
  if (info === undefined) throw new WireFormatError('MISSING_FIELD', ROOT_LOG_FIELD, 'the root names no transparency log');
  if (info === null || typeof info !== 'object' || Array.isArray(info)) throw new WireFormatError('MALFORMED', ROOT_LOG_FIELD, 'not an object');
  const o = info as Record<string, unknown>;
  return { origin: readText(o, 'origin', true)!, key: readText(o, 'key', true)!, clock: readText(o, 'clock', false) };
}

/** As parseRootLogFields, the clock required (the update client and the cloud need it). */
export function parseRootLogInfo(unrecognizedFields: Record<string, unknown>): RootLogInfo {
  const fields = parseRootLogFields(unrecognizedFields);
  if (fields.clock === undefined) throw new WireFormatError('MISSING_FIELD', `${ROOT_LOG_FIELD}.clock`, 'missing');
  return { origin: fields.origin, key: fields.key, clock: fields.clock };
}
