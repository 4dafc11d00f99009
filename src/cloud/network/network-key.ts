/**
 * The key that turns an activation id into the endpoint pseudonym the security network stores:
 * hex HMAC-SHA256(key, activation id). Counting distinct endpoints needs a stable id; the HMAC keeps
 * the stored data from naming the machine (or, through it, the license and the customer) to anyone
 * without the key. It lives in the data folder (`keys/network-pseudonym.key`, 32 random bytes in hex,
 * owner-only), created on first start like the license signing key; every cloud process sharing a
 * store needs the same file, and replacing it makes every endpoint a new one.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const NETWORK_KEY_FILE = join('keys', 'network-pseudonym.key');
const KEY_BYTES = 32;

export function generateNetworkKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

function parseKey(text: string, file: string): Buffer {
  const hex = text.trim();
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error(`${file}: expected ${KEY_BYTES} bytes as 64 lowercase hex digits`);
  return Buffer.from(hex, 'hex');
}

export function loadOrCreateNetworkKey(dataDir: string): Buffer {
  const file = join(dataDir, NETWORK_KEY_FILE);
  if (existsSync(file)) return parseKey(readFileSync(file, 'utf8'), file);
  const key = generateNetworkKey();
  mkdirSync(join(dataDir, 'keys'), { recursive: true, mode: 0o700 });
  // Write aside and rename, so a crash never leaves half a key (or two processes two keys).
  const aside = `${file}.${process.pid}.tmp`;
  writeFileSync(aside, `${key.toString('hex')}\n`, { mode: 0o600 });
  chmodSync(aside, 0o600);
  if (existsSync(file)) {
    rmSync(aside, { force: true });
    return loadOrCreateNetworkKey(dataDir);
  }
  renameSync(aside, file);
  return key;
}

/** The pseudonym under which the network stores everything about one activated machine. */
export function endpointPseudonym(key: Buffer, activationId: string): string {
  return createHmac('sha256', key).update(activationId).digest('hex');
}
