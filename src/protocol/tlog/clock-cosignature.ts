/**
 * The time on a checkpoint: the cosignature of the log's *clock* (C2SP tlog-cosignature, Ed25519,
 * signature type 0x04). A C2SP checkpoint has no time of its own, so the repository adds to each
 * checkpoint it signs one more line, by the key `<origin>/clock`, saying "as of time T, this is the
 * largest tree head of the log". The root names the clock's verifier key in `x-vigil-log.clock`
 * (root-log.ts).
 *
 *   vkey      <name>+<key ID, 8 hex>+<base64(0x04 || 32-byte public key)>
 *   key ID    SHA-256(<name> || "\n" || 0x04 || public key)[:4]
 *   line      — <name> base64(key ID || u64 big-endian T || Ed25519 signature of message)
 *   message   "cosignature/v1\ntime <T>\n" || the checkpoint text, with its final newline
 *
 * T is in seconds since the epoch. Readers that do not know the clock key ignore the line (C2SP
 * signed-note), so the checkpoint stays a plain checkpoint for them. The signer (the cloud) and both
 * readers (the update client, the auditor) use this one file.
 */
import { createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { concatBytes, fromBase64Strict, toBase64 } from './bytes.js';
import { TlogError } from './errors.js';
import { formatKeyId, isValidKeyName, noteKeyId, rawEd25519PublicKey, type NoteVerifier } from './note-keys.js';
import { openNote, parseNote } from './note.js';

/** C2SP tlog-cosignature: the signature type of an Ed25519 cosignature (cosignature/v1). */
export const COSIGNATURE_ED25519 = 0x04;
/** C2SP tlog-cosignature: a cosignature line is the key ID, then T (8 bytes), then the signature (64 bytes). */
export const COSIGNATURE_BYTES = 8 + 64;
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** The name of the clock key of the log `origin`. */
export function clockKeyName(origin: string): string {
  return `${origin}/clock`;
}

/** C2SP tlog-cosignature: the signed message for time `seconds` over the checkpoint `text`. */
function cosignedMessage(seconds: bigint, text: string | Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(`cosignature/v1\ntime ${seconds}\n`, 'utf8'), typeof text === 'string' ? Buffer.from(text, 'utf8') : text]);
}

/** The clock's verifier key (vkey) for the raw 32-byte Ed25519 `publicKey`, or for a key object. */
export function formatClockVerifierKey(name: string, key: Uint8Array | KeyObject): string {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-conversion -- a caller from plain JavaScript or parsed input may pass a non-string here; the check and its message must not throw on it
  if (!isValidKeyName(name)) throw new TlogError('MALFORMED_KEY', `clock key name ${JSON.stringify(String(name).slice(0, 80))} is not a key name`);
  const publicKey = key instanceof Uint8Array ? key : rawEd25519PublicKey(key);
  if (publicKey.length !== 32) throw new TlogError('MALFORMED_KEY', `an Ed25519 public key is 32 bytes, found ${publicKey.length}`);
  const id = noteKeyId(name, COSIGNATURE_ED25519, publicKey);
  return `${name}+${formatKeyId(id)}+${toBase64(concatBytes(new Uint8Array([COSIGNATURE_ED25519]), publicKey))}`;
}

/** A note verifier for the clock's cosignature, which remembers the time of the last line it verified. */
export interface ClockVerifier extends NoteVerifier {
  time: Date | undefined;
}

/** Reads a clock vkey; throws TlogError MALFORMED_KEY saying which part is wrong. */
export function parseClockVerifierKey(vkey: string): ClockVerifier {
  if (typeof vkey !== 'string') throw new TlogError('MALFORMED_KEY', 'the clock key is not text');
  const first = vkey.indexOf('+');
  const second = vkey.indexOf('+', first + 1);
  if (first <= 0 || second < 0) throw new TlogError('MALFORMED_KEY', 'the clock key is not <name>+<key id>+<base64 key>');
  const name = vkey.slice(0, first);
  const idHex = vkey.slice(first + 1, second);
  if (!isValidKeyName(name)) throw new TlogError('MALFORMED_KEY', 'the clock key has no valid name');
  if (!/^[0-9a-f]{8}$/.test(idHex)) throw new TlogError('MALFORMED_KEY', `the clock key's ID ${JSON.stringify(idHex.slice(0, 20))} is not 8 lowercase hex digits`);
  const bytes = fromBase64Strict(vkey.slice(second + 1));
  if (bytes === undefined) throw new TlogError('MALFORMED_KEY', "the clock key's key is not base64");
  if (bytes.length !== 33 || bytes[0] !== COSIGNATURE_ED25519) throw new TlogError('MALFORMED_KEY', 'the clock key is not an Ed25519 cosignature key (type 0x04, 32 bytes)');
  const publicKey = bytes.subarray(1);
  const keyId = noteKeyId(name, COSIGNATURE_ED25519, publicKey);
  if (formatKeyId(keyId) !== idHex) throw new TlogError('MALFORMED_KEY', `the clock key's ID ${idHex} does not match its key`);
  const keyObject = createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, publicKey]), format: 'der', type: 'spki' });
  const clock: ClockVerifier = {
    name,
    keyId,
    publicKey: new Uint8Array(publicKey),
    time: undefined,
    verify(message, signature) {
      if (signature.length !== COSIGNATURE_BYTES) return false;
      const seconds = Buffer.from(signature.subarray(0, 8)).readBigUInt64BE(0);
      if (!verify(null, cosignedMessage(seconds, message), keyObject, signature.subarray(8))) return false;
      clock.time = new Date(Number(seconds) * 1000);
      return true;
    },
  };
  return clock;
}

/** `note` (a signed checkpoint) with the clock's cosignature for `time` (whole seconds) added as its last line. */
export function addClockCosignature(note: string, name: string, privateKey: KeyObject, time: Date): string {
  const { text } = parseNote(note);
  const seconds = BigInt(Math.floor(time.getTime() / 1000));
  if (seconds < 0n) throw new TlogError('BAD_ARGUMENT', 'a clock cosignature cannot be for a time before 1970');
  const stamp = Buffer.alloc(8);
  stamp.writeBigUInt64BE(seconds);
  const id = Buffer.alloc(4);
  id.writeUInt32BE(noteKeyId(name, COSIGNATURE_ED25519, rawEd25519PublicKey(privateKey)));
  const signature = Buffer.concat([id, stamp, sign(null, cosignedMessage(seconds, text), privateKey)]);
  return `${note}\u2014 ${name} ${signature.toString('base64')}\n`;
}

/**
 * The time the clock signed `note` at; undefined when the note carries no line by this clock.
 * Throws TlogError: MALFORMED_KEY for the key, MALFORMED_NOTE for the note, BAD_SIGNATURE for a
 * line by the clock that does not verify.
 */
export function findClockTime(note: string | Uint8Array, vkey: string): Date | undefined {
  const clock = parseClockVerifierKey(vkey);
  const parsed = parseNote(note);
  const line = parsed.signatures.find((s) => s.name === clock.name && s.keyId === clock.keyId);
  if (line === undefined) return undefined;
  if (line.signature.length !== COSIGNATURE_BYTES) {
    throw new TlogError('BAD_SIGNATURE', `a clock cosignature is a time and a signature (${COSIGNATURE_BYTES} bytes), found ${line.signature.length}`, { line: line.line });
  }
  if (!clock.verify(Buffer.from(parsed.text, 'utf8'), line.signature)) throw new TlogError('BAD_SIGNATURE', "the clock's cosignature does not verify", { line: line.line });
  return clock.time;
}

/**
 * The time the clock signed `note` at, which it must carry: throws TlogError UNKNOWN_KEY when it
 * has no line by the clock (C2SP signed-note rules, through openNote), and as findClockTime.
 */
export function checkpointTime(note: string | Uint8Array, vkey: string): Date {
  const clock = parseClockVerifierKey(vkey);
  openNote(note, [clock]);
  return clock.time!;
}
