/**
 * The time on a checkpoint: the cosignature of the log's clock (C2SP tlog-cosignature, Ed25519,
 * signature type 0x04), whose key the root names in `x-vigil-log.clock` (docs/updates.md):
 *
 *   vkey      <name>+<key ID, 8 hex>+<base64(0x04 || 32-byte public key)>
 *   key ID    SHA-256(<name> || "\n" || 0x04 || public key)[:4]
 *   signature <u64 big-endian time T> || Ed25519("cosignature/v1\ntime <T>\n" || checkpoint text)
 *
 * It is read as a signed-note verifier (openNote does the line parsing and the unknown-key rules),
 * which remembers the time of the signature it verified.
 */
import { createHash, createPublicKey, verify } from 'node:crypto';
import { openNote, type NoteVerifier } from '../../protocol/index.js';

export const COSIGNATURE_ED25519 = 0x04;
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export interface ClockVerifier extends NoteVerifier {
  /** The time of the last signature verified. */
  time: Date | undefined;
}

/** The verifier of a clock vkey; throws Error for a key that is not a well-formed 0x04 key. */
export function parseClockKey(vkey: string): ClockVerifier {
  const [name, idHex, ...rest] = vkey.split('+');
  const bytes = Buffer.from(rest.join('+'), 'base64');
  if (!name || !idHex || !/^[0-9a-f]{8}$/.test(idHex) || bytes.length !== 33 || bytes[0] !== COSIGNATURE_ED25519) throw new Error(`not a cosignature/v1 Ed25519 key: ${vkey.slice(0, 200)}`);
  const publicKey = bytes.subarray(1);
  const id = createHash('sha256').update(Buffer.concat([Buffer.from(`${name}\n`, 'utf8'), Buffer.from([COSIGNATURE_ED25519]), publicKey])).digest().subarray(0, 4);
  if (id.toString('hex') !== idHex) throw new Error(`the key ID of ${name} does not match its key`);
  const key = createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, publicKey]), format: 'der', type: 'spki' });
  const clock: ClockVerifier = {
    name,
    keyId: id.readUInt32BE(0),
    publicKey: new Uint8Array(publicKey),
    time: undefined,
    verify(message, signature) {
      if (signature.length !== 8 + 64) return false;
      const seconds = Buffer.from(signature.subarray(0, 8)).readBigUInt64BE(0);
      const signed = Buffer.concat([Buffer.from(`cosignature/v1\ntime ${seconds}\n`, 'utf8'), message]);
      if (!verify(null, signed, key, signature.subarray(8))) return false;
      clock.time = new Date(Number(seconds) * 1000);
      return true;
    },
  };
  return clock;
}

/** The time the clock signed `note` at. Throws TlogError (UNKNOWN_KEY, BAD_SIGNATURE, ...) when it did not. */
export function checkpointTime(note: string | Uint8Array, vkey: string): Date {
  const clock = parseClockKey(vkey);
  openNote(note, [clock]);
  return clock.time!;
}
