/**
 * The repository's private keys: Ed25519, one file each in `<data>/keys/updates/<key id>.pem`
 * (folder 0700, files 0600), PKCS#8 PEM, encrypted with VIGIL_KEY_PASSPHRASE when it is set (as the
 * license signing key is). Only public keys go into the store and the metadata: a process that
 * signs (publishes, rotates, refreshes) needs this folder; one that only serves does not.
 *
 * TUF keys are written as @tufjs/models reads them: key type and scheme `ed25519`, the key value
 * the raw 32-byte public key in hex, the key ID the SHA-256 of the key's canonical JSON (TUF 4.2).
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Key, Signature } from '@tufjs/models';
import { canonicalJson } from '../../protocol/index.js';
import { UpdateError } from './update-error.js';

export const UPDATE_KEYS_DIR = join('keys', 'updates');

export interface VaultKey {
  keyId: string;
  /** Raw 32-byte Ed25519 public key, hex. */
  publicHex: string;
  privateKey: KeyObject;
}

/** The raw public key of an Ed25519 key object, hex. */
export function ed25519PublicHex(key: KeyObject): string {
  const jwk = (key.type === 'private' ? createPublicKey(key) : key).export({ format: 'jwk' });
  if (jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') throw new UpdateError('BAD_ARGUMENT', 'not an Ed25519 key');
  return Buffer.from(jwk.x, 'base64url').toString('hex');
}

/** The TUF key object of a raw Ed25519 public key (hex), with its key ID. */
export function tufKey(publicHex: string): Key {
  const body = { keytype: 'ed25519', scheme: 'ed25519', keyval: { public: publicHex } };
  const keyID = createHash('sha256').update(canonicalJson(body)).digest('hex');
  return new Key({ keyID, keyType: 'ed25519', scheme: 'ed25519', keyVal: { public: publicHex } });
}

/** Signs canonical metadata bytes, as Metadata.sign wants it. */
export function tufSigner(key: VaultKey): (data: Buffer) => Signature {
  return (data) => new Signature({ keyID: key.keyId, sig: sign(null, data, key.privateKey).toString('hex') });
}

export class KeyVault {
  readonly dir: string;

  constructor(
    dataDir: string,
    private readonly passphrase: string | undefined = process.env.VIGIL_KEY_PASSPHRASE,
  ) {
    this.dir = join(dataDir, UPDATE_KEYS_DIR);
  }

  /** Makes a new key and writes its private half to the folder (aside, then renamed: never half a key). */
  generate(): VaultKey {
    const { privateKey } = generateKeyPairSync('ed25519');
    const publicHex = ed25519PublicHex(privateKey);
    const keyId = tufKey(publicHex).keyID;
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem', ...(this.passphrase ? { cipher: 'aes-256-cbc', passphrase: this.passphrase } : {}) });
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const file = this.file(keyId);
    const aside = `${file}.${process.pid}.tmp`;
    writeFileSync(aside, pem, { mode: 0o600 });
    chmodSync(aside, 0o600);
    renameSync(aside, file);
    return { keyId, publicHex, privateKey };
  }

  has(keyId: string): boolean {
    return existsSync(this.file(keyId));
  }

  /** The private key `keyId`; KEY_MISSING when this folder does not hold it or cannot open it. */
  load(keyId: string): VaultKey {
    const file = this.file(keyId);
    let privateKey: KeyObject;
    try {
      privateKey = createPrivateKey({ key: readFileSync(file), format: 'pem', ...(this.passphrase ? { passphrase: this.passphrase } : {}) });
    } catch (e) {
      const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
      throw new UpdateError('KEY_MISSING', missing ? `key ${keyId} is not in ${this.dir}` : `cannot open key ${file} (wrong or missing VIGIL_KEY_PASSPHRASE?)`, { cause: e });
    }
    const publicHex = ed25519PublicHex(privateKey);
    if (tufKey(publicHex).keyID !== keyId) throw new UpdateError('KEY_MISSING', `${file} holds another key than ${keyId}`);
    return { keyId, publicHex, privateKey };
  }

  private file(keyId: string): string {
    if (!/^[0-9a-f]{64}$/.test(keyId)) throw new UpdateError('BAD_ARGUMENT', `not a key ID: ${keyId}`);
    return join(this.dir, `${keyId}.pem`);
  }
}
