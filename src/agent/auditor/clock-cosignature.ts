/**
 * The time on a checkpoint: the cosignature of the log's clock (C2SP tlog-cosignature, Ed25519,
 * signature type 0x04), whose verifier key the root names in `x-vigil-log.clock`:
 *
 *   vkey      <name>+<key ID hex>+<base64(0x04 || 32-byte public key)>
 *   key ID    SHA-256(<name> || "\n" || 0x04 || public key)[:4]
 *   line      — <name> base64(key ID || u64 big-endian T || Ed25519 signature)
 *   message   "cosignature/v1\ntime <T>\n" || the checkpoint text
 *
 * T is seconds since the epoch: "as of T, this is the largest tree head of the log".
 */
import { createHash, createPublicKey, verify } from 'node:crypto';
import { formatKeyId, parseNote } from '../../protocol/index.js';

/** C2SP tlog-cosignature: the signature type of an Ed25519 cosignature. */
export const COSIGNATURE_ED25519 = 0x04;
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/**
 * The time the clock signed `note` at; undefined when the note carries no line by this clock.
 * Throws an Error saying what is wrong with a key or a line that does not verify.
 */
export function checkpointTime(note: string, clockKey: string): Date | undefined {
  const first = clockKey.indexOf('+');
  const second = clockKey.indexOf('+', first + 1);
  if (first <= 0 || second < 0) throw new Error('the clock key is not <name>+<key id>+<base64 key>');
  const name = clockKey.slice(0, first);
  const idHex = clockKey.slice(first + 1, second);
  const key = Buffer.from(clockKey.slice(second + 1), 'base64');
  if (key.length !== 33 || key[0] !== COSIGNATURE_ED25519) throw new Error('the clock key is not an Ed25519 cosignature key (type 0x04)');
  const publicKey = key.subarray(1);
  const keyId = createHash('sha256').update(Buffer.concat([Buffer.from(`${name}\n`, 'utf8'), Buffer.from([COSIGNATURE_ED25519]), publicKey])).digest().subarray(0, 4).toString('hex');
  if (keyId !== idHex) throw new Error(`the clock key's ID ${idHex} does not match its key`);
  const parsed = parseNote(note);
  const line = parsed.signatures.find((s) => s.name === name && formatKeyId(s.keyId) === keyId);
  if (line === undefined) return undefined;
  if (line.signature.length !== 8 + 64) throw new Error(`line ${line.line}: a clock cosignature is a time and a signature (72 bytes), found ${line.signature.length}`);
  const seconds = Buffer.from(line.signature).readBigUInt64BE(0);
  const message = Buffer.from(`cosignature/v1\ntime ${seconds}\n${parsed.text}`, 'utf8');
  const keyObject = createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, publicKey]), format: 'der', type: 'spki' });
  if (!verify(null, message, keyObject, line.signature.subarray(8))) throw new Error(`line ${line.line}: the clock's cosignature does not verify`);
  return new Date(Number(seconds) * 1000);
}
