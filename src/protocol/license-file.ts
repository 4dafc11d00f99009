/**
 * License files: what the cloud signs on activation and check-in, and what the agent keeps and
 * verifies offline with the vendor's public key.
 *
 *     { "format": "vigil-license-v1", "payload": {...}, "key_id": "<hex>", "signature": "<base64>" }
 *
 * - `key_id`: hex SHA-256 of the raw 32-byte Ed25519 public key (RFC 8032 5.1.5 encoding), so a
 *   verifier holding several vendor keys (a rotation) knows which one to try.
 * - `signature`: base64 (RFC 4648 4, padded) of the 64-byte Ed25519 signature (RFC 8032 5.1.6) of
 *   the UTF-8 bytes of LICENSE_SIGNATURE_PREFIX + canonicalJson(payload) (RFC 8785). The prefix
 *   keeps these signatures apart from anything else the key might sign and names the version.
 * - `payload`: LicensePayload. The file is bound to one machine by `payload.machine` (the agent's
 *   machineFingerprint), so a copy on another machine fails with WRONG_MACHINE. It has its own
 *   short validity (`valid_from`, `valid_until`) that check-in refreshes, apart from the license's
 *   end (`license_expires_at`, then grace until `grace_until`).
 *
 * verifyLicenseFile checks, in this order, and reports the first failure: the shape (every field
 * present, typed, and nothing else), the key id, the signature, the machine, the time window, the
 * status, the entitlement asked for. It reads hostile input without throwing: text is capped at
 * LICENSE_FILE_MAX_BYTES, a member name twice in one object is refused (JSON.parse would keep the
 * last, another reader the first), and an object is read field by field into a fresh copy, so what
 * was verified is what is returned.
 */
import { VigilError } from './vigil-error.js';
import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';
import { isMachineFingerprint, LICENSE_FILE_FORMAT, MalformedLicenseField, parseStrictJson, readLicenseFileValue, readLicensePayload, type LicenseFile, type LicensePayload } from './license-payload.js';

/** Domain separation and version, signed before the canonical JSON of the payload. */
export const LICENSE_SIGNATURE_PREFIX = 'vigil-license-file-v1\n';
/** The longest license file text accepted, in UTF-8 bytes (a real one is under 2 KiB). */
export const LICENSE_FILE_MAX_BYTES = 64 * 1024;

export type LicenseFailureCode = 'MALFORMED' | 'UNKNOWN_KEY' | 'BAD_SIGNATURE' | 'WRONG_MACHINE' | 'NOT_YET_VALID' | 'EXPIRED' | 'SUSPENDED' | 'NO_ENTITLEMENT';

/** 'grace': past license_expires_at, before grace_until; the agent works and asks the user to renew. */
export type LicenseState = 'valid' | 'grace';

export interface LicenseValid {
  ok: true;
  payload: LicensePayload;
  state: LicenseState;
}

export interface LicenseInvalid {
  ok: false;
  code: LicenseFailureCode;
  /** Plain words for the user, e.g. "this license file belongs to another machine". */
  reason: string;
  /** The payload, only once the signature verified (from WRONG_MACHINE on). */
  payload?: LicensePayload;
  /** For MALFORMED: where, e.g. "payload.seats". */
  field?: string;
}

export type LicenseCheck = LicenseValid | LicenseInvalid;

export type LicenseFileParse = { ok: true; file: LicenseFile } | (LicenseInvalid & { code: 'MALFORMED' });

export interface LicenseVerifyOptions {
  /** The vendor's Ed25519 public keys that this agent trusts. */
  publicKeys: readonly KeyObject[];
  /** This machine's fingerprint (machineFingerprint().fingerprint). */
  machine: string;
  now: Date;
  /** Fails with NO_ENTITLEMENT unless the license lists it. */
  entitlement?: string;
}

/** Thrown by signing and key helpers (never by verification, which returns a LicenseCheck). */
export class LicenseFileError extends VigilError {
  constructor(
    readonly code: 'MALFORMED' | 'BAD_KEY',
    message: string,
    readonly field?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'LicenseFileError';
  }
}

/** Hex SHA-256 of the raw 32-byte Ed25519 public key (of a private key: of its public key). */
export function publicKeyId(key: KeyObject): string {
  return createHash('sha256').update(rawPublicKey(key)).digest('hex');
}

/** The SPKI PEM of an Ed25519 public key (of a private key: of its public key). */
export function exportPublicKeyPem(key: KeyObject): string {
  const publicKey = ed25519PublicKey(key);
  return publicKey.export({ type: 'spki', format: 'pem' }).toString();
}

/** An Ed25519 public key from SPKI PEM text; throws LicenseFileError BAD_KEY for anything else. */
export function importPublicKeyPem(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch (e) {
    throw new LicenseFileError('BAD_KEY', 'not a PEM public key', undefined, { cause: e });
  }
  return ed25519PublicKey(key);
}

/**
 * Signs `payload` with the vendor's Ed25519 private key. The payload is checked as a verifier checks
 * it (LicenseFileError MALFORMED with the field otherwise) and copied: the file holds exactly what
 * was signed, with its fields in LicensePayload order.
 */
export function signLicenseFile(payload: LicensePayload, privateKey: KeyObject): LicenseFile {
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ed25519') {
    throw new LicenseFileError('BAD_KEY', `expected an Ed25519 private key, found a ${privateKey.asymmetricKeyType ?? ''} ${privateKey.type} key`);
  }
  let copy: LicensePayload;
  try {
    copy = readLicensePayload(payload);
  } catch (e) {
    if (e instanceof MalformedLicenseField) throw new LicenseFileError('MALFORMED', e.message, e.field, { cause: e });
    throw e;
  }
  const signature = sign(null, signedBytes(copy), privateKey).toString('base64');
  return { format: LICENSE_FILE_FORMAT, payload: copy, key_id: publicKeyId(privateKey), signature };
}

/** The text to write to disk or send: indented JSON and a final newline. */
export function formatLicenseFile(file: LicenseFile): string {
  return `${JSON.stringify(file, null, 2)}\n`;
}

/**
 * Parses license file text (or its UTF-8 bytes) and checks its shape, not its signature. Never
 * throws. A leading byte order mark is ignored.
 */
export function parseLicenseFileText(text: string | Uint8Array): LicenseFileParse {
  const malformed = (reason: string, field?: string): LicenseFileParse => ({
    ok: false,
    code: 'MALFORMED',
    reason: `this is not a valid Vigil license file: ${reason}`,
    ...(field === undefined ? {} : { field }),
  });
  try {
    const size = typeof text === 'string' ? (text.length > LICENSE_FILE_MAX_BYTES ? Infinity : Buffer.byteLength(text, 'utf8')) : text.byteLength;
    if (size > LICENSE_FILE_MAX_BYTES) return malformed(`larger than ${LICENSE_FILE_MAX_BYTES} bytes`);
    let s: string;
    if (typeof text === 'string') s = text;
    else {
      try {
        s = new TextDecoder('utf-8', { fatal: true }).decode(text);
      } catch {
        return malformed('not UTF-8 text');
      }
    }
    const parsed = parseStrictJson(s.startsWith('\ufeff') ? s.slice(1) : s);
    if (!parsed.ok) return malformed(parsed.reason);
    return { ok: true, file: readLicenseFileValue(parsed.value) };
  } catch (e) {
    if (e instanceof MalformedLicenseField) return malformed(e.message, e.field);
    return malformed('unreadable');
  }
}

/**
 * Verifies a license file for this machine at `now`: a parsed object, or its text or bytes (through
 * parseLicenseFileText). Never throws on a hostile file; throws when the options are wrong:
 * LicenseFileError BAD_KEY for a key that is not Ed25519, TypeError for no keys, a machine that is
 * not a fingerprint, or an invalid date.
 */
export function verifyLicenseFile(file: unknown, options: LicenseVerifyOptions): LicenseCheck {
  const keys = new Map(checkOptions(options).map((k) => [publicKeyId(k), k] as const));
  let f: LicenseFile;
  if (typeof file === 'string' || file instanceof Uint8Array) {
    const parsed = parseLicenseFileText(file);
    if (!parsed.ok) return parsed;
    f = parsed.file;
  } else {
    try {
      f = readLicenseFileValue(file);
    } catch (e) {
      const field = e instanceof MalformedLicenseField ? e.field : undefined;
      const reason = `this is not a valid Vigil license file: ${e instanceof MalformedLicenseField ? e.message : 'unreadable'}`;
      return { ok: false, code: 'MALFORMED', reason, ...(field === undefined ? {} : { field }) };
    }
  }
  const key = keys.get(f.key_id);
  if (!key) {
    const reason = `this license file was signed with a key this copy of Vigil does not trust (key id ${f.key_id.slice(0, 16)}...); it may come from another vendor, or need a newer Vigil`;
    return { ok: false, code: 'UNKNOWN_KEY', reason };
  }
  let good = false;
  try {
    good = verify(null, signedBytes(f.payload), key, Buffer.from(f.signature, 'base64'));
  } catch {
    good = false;
  }
  if (!good) return { ok: false, code: 'BAD_SIGNATURE', reason: 'this license file was altered or damaged: its signature does not match its content' };
  return checkPayload(f.payload, options);
}

/** The checks after the signature: machine, time window, status, entitlement. */
function checkPayload(payload: LicensePayload, options: LicenseVerifyOptions): LicenseCheck {
  const fail = (code: LicenseFailureCode, reason: string): LicenseInvalid => ({ ok: false, code, reason, payload });
  if (payload.machine !== options.machine.toLowerCase()) {
    return fail('WRONG_MACHINE', 'this license file belongs to another machine; activate the license on this machine to get its own file');
  }
  const now = options.now.getTime();
  if (now < Date.parse(payload.valid_from)) {
    return fail('NOT_YET_VALID', `this license file is valid only from ${payload.valid_from}; check this computer's date and time`);
  }
  if (now >= Date.parse(payload.grace_until)) {
    return fail('EXPIRED', `this license expired on ${payload.license_expires_at} and its grace period ended on ${payload.grace_until}; renew the license`);
  }
  if (now >= Date.parse(payload.valid_until)) {
    return fail('EXPIRED', `this license file expired on ${payload.valid_until}; connect to the internet and refresh it (vigil license refresh)`);
  }
  const state: LicenseState = now >= Date.parse(payload.license_expires_at) ? 'grace' : 'valid';
  if (payload.status === 'suspended') return fail('SUSPENDED', 'this license is suspended by the vendor; contact the vendor or your administrator');
  if (options.entitlement !== undefined && !payload.entitlements.includes(options.entitlement)) {
    const has = payload.entitlements.length === 0 ? 'nothing' : payload.entitlements.join(', ');
    return fail('NO_ENTITLEMENT', `this license does not include "${options.entitlement}" (it includes ${has})`);
  }
  return { ok: true, payload, state };
}

function checkOptions(options: LicenseVerifyOptions): KeyObject[] {
  if (options.publicKeys.length === 0) throw new TypeError('publicKeys: no trusted key given');
  if (!isMachineFingerprint(options.machine.toLowerCase())) throw new TypeError('machine: expected a machine fingerprint (64 hex digits)');
  if (!(options.now instanceof Date) || Number.isNaN(options.now.getTime())) throw new TypeError('now: expected a valid Date');
  return options.publicKeys.map((k) => ed25519PublicKey(k));
}

const signedBytes = (payload: LicensePayload): Buffer => Buffer.from(LICENSE_SIGNATURE_PREFIX + canonicalJson(payload), 'utf8');


function rawPublicKey(key: KeyObject): Buffer {
  const x = ed25519PublicKey(key).export({ format: 'jwk' }).x;
  if (typeof x !== 'string') throw new LicenseFileError('BAD_KEY', 'Ed25519 key without its public part');
  return Buffer.from(x, 'base64url');
}

function ed25519PublicKey(key: KeyObject): KeyObject {
  if (key.asymmetricKeyType !== 'ed25519') throw new LicenseFileError('BAD_KEY', `expected an Ed25519 key, found ${key.asymmetricKeyType ?? 'something else'}`);
  return key.type === 'private' ? createPublicKey(key) : key;
}
