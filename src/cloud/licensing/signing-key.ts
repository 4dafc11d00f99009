/**
 * The vendor's Ed25519 key that signs license files. It lives in the data folder
 * (`keys/license-signing.pem`, owner-only), created on first start; every cloud process that
 * issues license files needs the same file. With VIGIL_KEY_PASSPHRASE set, the PEM is encrypted
 * with it (AES-256-CBC under PKCS#8's scrypt-free PBES2, as node:crypto writes it).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface LicenseSigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export const LICENSE_KEY_FILE = join('keys', 'license-signing.pem');

export function generateSigningKey(): LicenseSigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey, publicKey };
}

export function loadOrCreateSigningKey(dataDir: string, passphrase = process.env.VIGIL_KEY_PASSPHRASE): LicenseSigningKey {
  const file = join(dataDir, LICENSE_KEY_FILE);
  if (existsSync(file)) {
    const privateKey = createPrivateKey({ key: readFileSync(file), format: 'pem', ...(passphrase ? { passphrase } : {}) });
    return { privateKey, publicKey: createPublicKey(privateKey) };
  }
  const key = generateSigningKey();
  const pem = key.privateKey.export({ type: 'pkcs8', format: 'pem', ...(passphrase ? { cipher: 'aes-256-cbc', passphrase } : {}) });
  mkdirSync(join(dataDir, 'keys'), { recursive: true, mode: 0o700 });
  // Write aside and rename, so a crash never leaves half a key (or two processes two keys).
  const aside = `${file}.${process.pid}.tmp`;
  writeFileSync(aside, pem, { mode: 0o600 });
  chmodSync(aside, 0o600);
  if (existsSync(file)) return loadOrCreateSigningKey(dataDir, passphrase);
  renameSync(aside, file);
  return key;
}
