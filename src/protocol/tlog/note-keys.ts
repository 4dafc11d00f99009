/**
 * Ed25519 keys of C2SP signed notes (c2sp.org/signed-note), and their text forms as the Go
 * reference implementation (golang.org/x/mod/sumdb/note) writes them:
 *
 *   verifier key   <name>+<key ID, 8 lowercase hex digits>+<base64(0x01 || 32-byte public key)>
 *   signer key     PRIVATE+KEY+<name>+<key ID>+<base64(0x01 || 32-byte private key seed)>
 *
 * key ID = the first 4 bytes, big-endian, of SHA-256(name || 0x0A || 0x01 || public key), where
 * 0x01 is the signature type of Ed25519 (signed-note, "Ed25519 signatures"). A key name is
 * non-empty, without Unicode spaces or `+`; here also without control characters.
 *
 * Only Ed25519 (type 0x01) is supported: the only type a checkpoint of this log carries. A verifier
 * key of another type is refused (MALFORMED_KEY) rather than ignored, since a client configured
 * with it could never verify anything.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { bytesEqual, concatBytes, fromBase64Strict, sha256, toBase64, toHex } from './bytes.js';
import { TlogError } from './errors.js';

/** signed-note: the signature type byte of Ed25519. */
export const NOTE_SIG_ED25519 = 0x01;

export interface NoteVerifier {
  readonly name: string;
  /** The uint32 key ID. */
  readonly keyId: number;
  /** The raw 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array;
  /** True when `signature` (without the key ID) is this key's signature of `message`. */
  verify(message: Uint8Array, signature: Uint8Array): boolean;
}

export interface NoteSigner {
  readonly name: string;
  readonly keyId: number;
  /** The verifier key string of this signer's public key. */
  readonly verifierKey: string;
  sign(message: Uint8Array): Uint8Array;
}

const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const KEY_ID_RE = /^[0-9a-f]{8}$/;
/** Unicode spaces (\s with the u flag), `+`, C0 and C1 controls, lone surrogates. */
const BAD_NAME_CHAR_RE = /[\s+\u0000-\u001f\u007f-\u009f]|\p{Cs}/u;

/** signed-note: non-empty, no Unicode spaces, no `+` (and, here, no control characters). */
export function isValidKeyName(name: string): boolean {
  return typeof name === 'string' && name.length > 0 && !BAD_NAME_CHAR_RE.test(name);
}

/** signed-note: SHA-256(name || 0x0A || type || public key)[:4] as a big-endian uint32. */
export function noteKeyId(name: string, type: number, publicKey: Uint8Array): number {
  const digest = sha256(Buffer.from(`${name}\n`, 'utf8'), new Uint8Array([type]), publicKey);
  return ((digest[0]! << 24) >>> 0) + (digest[1]! << 16) + (digest[2]! << 8) + digest[3]!;
}

/** The key ID as the 8 hex digits of key strings. */
export function formatKeyId(keyId: number): string {
  return keyId.toString(16).padStart(8, '0');
}

/** The raw 32-byte public key of an Ed25519 key (of a private key: of its public key). */
export function rawEd25519PublicKey(key: KeyObject): Uint8Array {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  if (publicKey.asymmetricKeyType !== 'ed25519') throw new TlogError('MALFORMED_KEY', `expected an Ed25519 key, found ${publicKey.asymmetricKeyType ?? 'a secret key'}`);
  return new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }).subarray(SPKI_ED25519_PREFIX.length));
}

/** `<name>+<key ID>+<base64(0x01 || public key)>` for an Ed25519 key. */
export function formatVerifierKey(name: string, key: KeyObject): string {
  checkName(name);
  const raw = rawEd25519PublicKey(key);
  return `${name}+${formatKeyId(noteKeyId(name, NOTE_SIG_ED25519, raw))}+${toBase64(concatBytes(new Uint8Array([NOTE_SIG_ED25519]), raw))}`;
}

/** Reads a verifier key string; throws MALFORMED_KEY saying what is wrong. */
export function parseVerifierKey(text: string): NoteVerifier {
  const [name, id, key] = splitKey(text, 'verifier key', '<name>+<key id>+<base64 key>');
  const raw = decodeKey(key, 'public key');
  const keyId = noteKeyId(name, NOTE_SIG_ED25519, raw);
  if (formatKeyId(keyId) !== id) throw new TlogError('MALFORMED_KEY', `verifier key ${name}: key ID ${id} does not match the key (expected ${formatKeyId(keyId)})`);
  return ed25519Verifier(name, raw);
}

/** A verifier for a raw 32-byte Ed25519 public key named `name`. */
export function ed25519Verifier(name: string, publicKey: Uint8Array): NoteVerifier {
  checkName(name);
  if (publicKey.length !== 32) throw new TlogError('MALFORMED_KEY', `an Ed25519 public key is 32 bytes, found ${publicKey.length}`);
  let keyObject: KeyObject;
  try {
    keyObject = createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, publicKey]), format: 'der', type: 'spki' });
  } catch (e) {
    throw new TlogError('MALFORMED_KEY', `verifier key ${name}: not an Ed25519 public key`, {}, { cause: e });
  }
  const copy = new Uint8Array(publicKey);
  return {
    name,
    keyId: noteKeyId(name, NOTE_SIG_ED25519, copy),
    publicKey: copy,
    verify: (message, signature) => {
      if (signature.length !== 64) return false;
      try {
        return verify(null, message, keyObject, signature);
      } catch {
        return false;
      }
    },
  };
}

/** A signer named `name` with an Ed25519 private key. */
export function createNoteSigner(name: string, privateKey: KeyObject): NoteSigner {
  checkName(name);
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ed25519') {
    throw new TlogError('MALFORMED_KEY', `expected an Ed25519 private key, found ${privateKey.asymmetricKeyType ?? 'a secret key'} ${privateKey.type}`);
  }
  const raw = rawEd25519PublicKey(privateKey);
  return {
    name,
    keyId: noteKeyId(name, NOTE_SIG_ED25519, raw),
    verifierKey: formatVerifierKey(name, privateKey),
    sign: (message) => new Uint8Array(sign(null, message, privateKey)),
  };
}

/** `PRIVATE+KEY+<name>+<key ID>+<base64(0x01 || seed)>`: keep it secret. */
export function formatSignerKey(name: string, privateKey: KeyObject): string {
  const signer = createNoteSigner(name, privateKey);
  const seed = new Uint8Array(privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_ED25519_PREFIX.length));
  return `PRIVATE+KEY+${name}+${formatKeyId(signer.keyId)}+${toBase64(concatBytes(new Uint8Array([NOTE_SIG_ED25519]), seed))}`;
}

/** Reads a signer key string; throws MALFORMED_KEY (never quoting the secret). */
export function parseSignerKey(text: string): NoteSigner {
  if (typeof text !== 'string' || !text.startsWith('PRIVATE+KEY+')) throw new TlogError('MALFORMED_KEY', 'a signer key starts with PRIVATE+KEY+');
  const [name, id, key] = splitKey(text.slice('PRIVATE+KEY+'.length), 'signer key', 'PRIVATE+KEY+<name>+<key id>+<base64 seed>');
  const seed = decodeKey(key, 'private key seed');
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  } catch (e) {
    throw new TlogError('MALFORMED_KEY', `signer key ${name}: not an Ed25519 private key`, {}, { cause: e });
  }
  const signer = createNoteSigner(name, privateKey);
  if (formatKeyId(signer.keyId) !== id) throw new TlogError('MALFORMED_KEY', `signer key ${name}: key ID ${id} does not match the key`);
  return signer;
}

/** A new Ed25519 key pair named `name`, as signer and verifier key strings. */
export function generateNoteKeys(name: string): { signerKey: string; verifierKey: string } {
  const { privateKey } = generateKeyPairSync('ed25519');
  return { signerKey: formatSignerKey(name, privateKey), verifierKey: formatVerifierKey(name, privateKey) };
}

/** True when two verifiers hold the same name and public key. */
export function sameVerifier(a: NoteVerifier, b: NoteVerifier): boolean {
  return a.name === b.name && bytesEqual(a.publicKey, b.publicKey);
}

function splitKey(text: string, what: string, shape: string): [string, string, string] {
  if (typeof text !== 'string') throw new TlogError('MALFORMED_KEY', `a ${what} is text: ${shape}`);
  // The base64 key may itself hold `+`: split at the first two only.
  const first = text.indexOf('+');
  const second = first < 0 ? -1 : text.indexOf('+', first + 1);
  if (second < 0) throw new TlogError('MALFORMED_KEY', `a ${what} has the form ${shape}`);
  const name = text.slice(0, first);
  const id = text.slice(first + 1, second);
  if (!isValidKeyName(name)) throw new TlogError('MALFORMED_KEY', `${what}: the key name is empty or holds a space, a + or a control character`);
  if (!KEY_ID_RE.test(id)) throw new TlogError('MALFORMED_KEY', `${what} ${name}: the key ID must be 8 lowercase hex digits`);
  return [name, id, text.slice(second + 1)];
}

function decodeKey(text: string, what: string): Uint8Array {
  const bytes = fromBase64Strict(text);
  if (bytes === undefined) throw new TlogError('MALFORMED_KEY', `the ${what} is not standard padded base64`);
  if (bytes[0] !== NOTE_SIG_ED25519) throw new TlogError('MALFORMED_KEY', `the key type is ${bytes.length === 0 ? 'missing' : `0x${toHex(bytes.subarray(0, 1))}`}; only Ed25519 (0x01) is supported`);
  if (bytes.length !== 33) throw new TlogError('MALFORMED_KEY', `an Ed25519 ${what} is 32 bytes, found ${bytes.length - 1}`);
  return bytes.subarray(1);
}

function checkName(name: string): void {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-conversion -- a caller from plain JavaScript or parsed input may pass a non-string here; the check and its message must not throw on it
  if (!isValidKeyName(name)) throw new TlogError('MALFORMED_KEY', `key name ${JSON.stringify(String(name).slice(0, 100))} is empty or holds a space, a + or a control character`);
}
