/**
 * The format of a license file (license-file.ts signs and verifies it): its members and their
 * types, and the strict reader of untrusted JSON that copies a file field by field, refusing any
 * member it does not name, a missing or mistyped one, and a member name twice in one object.
 * Every refusal names the field (`payload.seats`, `payload.entitlements[2]`).
 */
import { describeValue, hasDuplicateMembers, isIsoUtc, printable } from './json-checks.js';
import { VigilError } from './vigil-error.js';

export const LICENSE_FILE_FORMAT = 'vigil-license-v1';
/** The longest string field of a payload, in UTF-16 code units. */
export const LICENSE_FIELD_MAX_CHARS = 256;
/** The most entitlements a payload lists. */
export const LICENSE_MAX_ENTITLEMENTS = 64;

export type LicenseStatus = 'active' | 'suspended';

export interface LicensePayload {
  license_id: string;
  /** licenseKeyHint of the key: its last 5 symbols. */
  key_hint: string;
  /** Id of the tenant that holds the license. */
  holder_tenant: string;
  holder_name: string;
  product: string;
  plan: string;
  /** Distinct names such as 'updates', 'network', 'daemon': lowercase letters, digits, '.', '_', '-'. */
  entitlements: string[];
  /** Seats of the license: a whole number from 1. */
  seats: number;
  activation_id: string;
  /** The machine this file is bound to: machineFingerprint, 64 lowercase hex digits. */
  machine: string;
  /** When the license ends (ISO 8601 UTC, as Date.toISOString writes it; 0 to 9 fraction digits). */
  license_expires_at: string;
  /** When the grace after license_expires_at ends. */
  grace_until: string;
  /** This file's own validity: from valid_from (included) to valid_until (excluded). */
  valid_from: string;
  valid_until: string;
  issued_at: string;
  status: LicenseStatus;
}

export interface LicenseFile {
  format: typeof LICENSE_FILE_FORMAT;
  payload: LicensePayload;
  /** Hex SHA-256 of the raw Ed25519 public key: publicKeyId. */
  key_id: string;
  /** Base64 Ed25519 signature of LICENSE_SIGNATURE_PREFIX + canonicalJson(payload). */
  signature: string;
}

const FILE_FIELDS = ['format', 'payload', 'key_id', 'signature'] as const;
const TEXT_FIELDS = ['license_id', 'holder_tenant', 'holder_name', 'product', 'plan', 'activation_id'] as const;
const TIME_FIELDS = ['license_expires_at', 'grace_until', 'valid_from', 'valid_until', 'issued_at'] as const;
const PAYLOAD_FIELDS = [...TEXT_FIELDS, 'key_hint', 'entitlements', 'seats', 'machine', ...TIME_FIELDS, 'status'] as const;
const HEX64_RE = /^[0-9a-f]{64}$/;
const KEY_HINT_RE = /^[0-9A-HJKMNP-TV-Z]{5}$/;
const ENTITLEMENT_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const SIGNATURE_RE = /^[A-Za-z0-9+/]{86}==$/;
/** C0 and C1 controls (a name shown on a terminal must not drive it) and lone surrogates. */
const UNPRINTABLE_RE = /[\u0000-\u001f\u007f-\u009f]|\p{Cs}/u;

/** A field that is missing, mistyped or unknown: becomes MALFORMED with `field`. */
export class MalformedLicenseField extends VigilError {
  readonly code = 'MALFORMED';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`field "${field}": ${message}`);
  }
}

/** True for a machine fingerprint as the agent computes it: 64 lowercase hex digits. */
export function isMachineFingerprint(value: unknown): value is string {
  return typeof value === 'string' && HEX64_RE.test(value);
}

/** Own, enumerable or not: never a value inherited from a prototype. */
function own(o: object, name: string): unknown {
  return Object.prototype.hasOwnProperty.call(o, name) ? (o as Record<string, unknown>)[name] : undefined;
}

/** Reads an object that has exactly `fields` (own properties), each once, into a map. */
function readObject(value: unknown, where: string, fields: readonly string[]): Map<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new MalformedLicenseField(where, `expected an object, found ${describeValue(value, 40)}`);
  const names = Object.keys(value);
  const unknown = names.find((n) => !fields.includes(n));
  if (unknown !== undefined) throw new MalformedLicenseField(`${where === '' ? '' : `${where}.`}${printable(unknown, 64)}`, 'unknown field (the signature does not cover it)');
  const read = new Map<string, unknown>();
  for (const f of fields) {
    const v = own(value, f);
    if (v === undefined) throw new MalformedLicenseField(where === '' ? f : `${where}.${f}`, 'missing');
    read.set(f, v);
  }
  return read;
}

/** `value` read as a license file; throws MalformedLicenseField naming the field. */
export function readLicenseFileValue(value: unknown): LicenseFile {
  const v = readObject(value, '', FILE_FIELDS);
  if (v.get('format') !== LICENSE_FILE_FORMAT) throw new MalformedLicenseField('format', `expected "${LICENSE_FILE_FORMAT}", found ${describeValue(v.get('format'), 40)}`);
  const keyId = v.get('key_id');
  if (typeof keyId !== 'string' || !HEX64_RE.test(keyId)) throw new MalformedLicenseField('key_id', `expected 64 lowercase hex digits, found ${describeValue(keyId, 40)}`);
  const signature = v.get('signature');
  // Canonical base64 only: 64 bytes, and unused bits zero (so it re-encodes to the same text).
  if (typeof signature !== 'string' || !SIGNATURE_RE.test(signature) || Buffer.from(signature, 'base64').toString('base64') !== signature) {
    throw new MalformedLicenseField('signature', `expected a base64 Ed25519 signature (88 characters), found ${describeValue(signature, 40)}`);
  }
  return { format: LICENSE_FILE_FORMAT, payload: readLicensePayload(v.get('payload')), key_id: keyId, signature };
}

/** `value` read as a license payload; throws MalformedLicenseField naming the field. */
export function readLicensePayload(value: unknown): LicensePayload {
  const v = readObject(value, 'payload', PAYLOAD_FIELDS);
  const bad = (field: string, expected: string): never => {
    throw new MalformedLicenseField(`payload.${field}`, `expected ${expected}, found ${describeValue(v.get(field), 40)}`);
  };
  const text = (field: string, min = 1): string => {
    const s = v.get(field);
    if (typeof s !== 'string' || s.length < min || s.length > LICENSE_FIELD_MAX_CHARS || UNPRINTABLE_RE.test(s)) {
      bad(field, `${min === 0 ? 'a' : 'a non-empty'} string of at most ${LICENSE_FIELD_MAX_CHARS} printable characters`);
    }
    return s as string;
  };
  const time = (field: string): string => {
    const s = v.get(field);
    if (typeof s !== 'string' || !isIsoUtc(s)) bad(field, 'an ISO 8601 UTC time such as 2025-01-31T12:00:00.000Z');
    return s as string;
  };
  const pattern = (field: string, re: RegExp, expected: string): string => {
    const s = v.get(field);
    if (typeof s !== 'string' || !re.test(s)) bad(field, expected);
    return s as string;
  };
  const list = v.get('entitlements');
  if (!Array.isArray(list) || list.length > LICENSE_MAX_ENTITLEMENTS) bad('entitlements', `a list of at most ${LICENSE_MAX_ENTITLEMENTS} names`);
  const entitlements: string[] = [];
  for (let i = 0; i < (list as unknown[]).length; i++) {
    const e = (list as unknown[])[i];
    if (typeof e !== 'string' || !ENTITLEMENT_RE.test(e)) throw new MalformedLicenseField(`payload.entitlements[${i}]`, `expected a name of lowercase letters, digits, ".", "_" and "-", found ${describeValue(e, 40)}`);
    if (entitlements.includes(e)) throw new MalformedLicenseField(`payload.entitlements[${i}]`, `"${e}" is listed twice`);
    entitlements.push(e);
  }
  const seats = v.get('seats');
  if (typeof seats !== 'number' || !Number.isSafeInteger(seats) || seats < 1) bad('seats', 'a whole number from 1');
  const status = v.get('status');
  if (status !== 'active' && status !== 'suspended') bad('status', '"active" or "suspended"');
  return {
    license_id: text('license_id'),
    key_hint: pattern('key_hint', KEY_HINT_RE, 'the last 5 symbols of a license key'),
    holder_tenant: text('holder_tenant'),
    holder_name: text('holder_name', 0),
    product: text('product'),
    plan: text('plan'),
    entitlements,
    seats: seats as number,
    activation_id: text('activation_id'),
    machine: pattern('machine', HEX64_RE, 'a machine fingerprint (64 lowercase hex digits)'),
    license_expires_at: time('license_expires_at'),
    grace_until: time('grace_until'),
    valid_from: time('valid_from'),
    valid_until: time('valid_until'),
    issued_at: time('issued_at'),
    status: status as LicenseStatus,
  };
}

/**
 * JSON.parse, refusing what I-JSON (RFC 7493 2.3) forbids and JSON.parse hides: a member name twice
 * in one object. (The same check as the audit chain's line parser.)
 */
export function parseStrictJson(text: string): { ok: true; value: unknown } | { ok: false; reason: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { ok: false, reason: `not JSON (${printable((e as Error).message, 64)})` };
  }
  if (hasDuplicateMembers(text, value)) return { ok: false, reason: 'a member name appears twice in one object' };
  return { ok: true, value };
}
