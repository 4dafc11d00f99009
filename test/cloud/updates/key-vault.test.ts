import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KeyVault, tufKey } from '../../../src/cloud/updates/index.js';
import { tempDir } from './update-fixtures.js';

describe('update key vault', () => {
  it('keeps each private key owner-only, named by its TUF key ID, and reads it back', () => {
    const data = tempDir();
    const vault = new KeyVault(data, undefined);
    const key = vault.generate();
    expect(key.keyId).toBe(tufKey(key.publicHex).keyID);
    expect(key.publicHex).toMatch(/^[0-9a-f]{64}$/);
    const file = join(data, 'keys', 'updates', `${key.keyId}.pem`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(data, 'keys', 'updates')).mode & 0o777).toBe(0o700);
    expect(vault.load(key.keyId).publicHex).toBe(key.publicHex);
  });

  it('encrypts keys with a passphrase, and refuses to open them without it', () => {
    const data = tempDir();
    const key = new KeyVault(data, 'correct horse').generate();
    expect(readFileSync(join(data, 'keys', 'updates', `${key.keyId}.pem`), 'utf8')).toContain('BEGIN ENCRYPTED PRIVATE KEY');
    expect(new KeyVault(data, 'correct horse').load(key.keyId).publicHex).toBe(key.publicHex);
    expect(() => new KeyVault(data, 'wrong').load(key.keyId)).toThrow(expect.objectContaining({ code: 'KEY_MISSING' }));
    expect(() => new KeyVault(data, undefined).load(key.keyId)).toThrow(expect.objectContaining({ code: 'KEY_MISSING' }));
  });

  it('says which key is missing, and refuses names that are not key IDs', () => {
    const vault = new KeyVault(tempDir(), undefined);
    expect(() => vault.load('a'.repeat(64))).toThrow(/is not in/);
    expect(() => vault.load('../../etc/passwd')).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENT' }));
  });
});
