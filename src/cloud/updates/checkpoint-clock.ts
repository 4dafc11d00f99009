/**
 * Time on checkpoints. A C2SP checkpoint has no time of its own, so each checkpoint the repository
 * signs also gets a cosignature (C2SP tlog-cosignature, Ed25519, signature type 0x04) by the log's
 * *clock* key, named `<origin>/clock`: "as of time T, this is the largest tree head of the log".
 *
 *   key ID   = SHA-256(<name> || "\n" || 0x04 || 32-byte public key)[:4]
 *   message  = "cosignature/v1\n" || "time <T>\n" || <checkpoint text, with its final newline>
 *   line     = "— <name> " || base64(key ID || u64 big-endian T || Ed25519 signature of message)
 *
 * T is in seconds since the epoch. Readers that do not know the clock key ignore the line (C2SP
 * signed-note), so the checkpoint stays a plain checkpoint for them; the log library reads it as such.
 */
import { createHash, sign, type KeyObject } from 'node:crypto';
import { parseNote } from '../../protocol/index.js';
import { ed25519PublicHex } from './key-vault.js';

export const COSIGNATURE_ED25519 = 0x04;

export function clockName(origin: string): string {
  return `${origin}/clock`;
}

function keyIdBytes(name: string, publicKey: Buffer): Buffer {
  return createHash('sha256').update(Buffer.concat([Buffer.from(`${name}\n`, 'utf8'), Buffer.from([COSIGNATURE_ED25519]), publicKey])).digest().subarray(0, 4);
}

/** The clock's verifier key, as a C2SP vkey: `<name>+<key ID hex>+<base64(0x04 || public key)>`. */
export function clockVerifierKey(name: string, key: KeyObject): string {
  const publicKey = Buffer.from(ed25519PublicHex(key), 'hex');
  return `${name}+${keyIdBytes(name, publicKey).toString('hex')}+${Buffer.concat([Buffer.from([COSIGNATURE_ED25519]), publicKey]).toString('base64')}`;
}

/** `note` (a signed checkpoint) with the clock's cosignature for `time` added as its last signature line. */
export function addClockCosignature(note: string, name: string, privateKey: KeyObject, time: Date): string {
  const { text } = parseNote(note);
  const seconds = Math.floor(time.getTime() / 1000);
  const message = Buffer.from(`cosignature/v1\ntime ${seconds}\n${text}`, 'utf8');
  const stamp = Buffer.alloc(8);
  stamp.writeBigUInt64BE(BigInt(seconds));
  const publicKey = Buffer.from(ed25519PublicHex(privateKey), 'hex');
  const signature = Buffer.concat([keyIdBytes(name, publicKey), stamp, sign(null, message, privateKey)]);
  return `${note}\u2014 ${name} ${signature.toString('base64')}\n`;
}
