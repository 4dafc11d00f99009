/** A vendor key and license records for the agent's licensing tests, signed locally (no cloud). */
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ActivationRecord } from '../../src/agent/license/index.js';
import { exportPublicKeyPem, publicKeyId, type LicensePayload } from '../../src/protocol/index.js';

export const vendor = generateKeyPairSync('ed25519');

export function activationRecord(overrides: Partial<ActivationRecord> = {}): ActivationRecord {
  return {
    server: 'https://licensing.example.com',
    activation_id: 'act_1',
    secret: 's3cret-s3cret',
    key_hint: '5GCPF',
    vendor_key_pem: exportPublicKeyPem(vendor.publicKey),
    vendor_key_id: publicKeyId(vendor.publicKey),
    machine_name: 'laptop',
    activated_at: '2025-01-01T00:00:00.000Z',
    ...overrides,
  };
}

export function licensePayload(overrides: Partial<LicensePayload> = {}): LicensePayload {
  return {
    license_id: 'lic_1',
    key_hint: '5GCPF',
    holder_tenant: 'ten_1',
    holder_name: 'Acme',
    product: 'Vigil Endpoint',
    plan: 'Annual',
    entitlements: ['network', 'updates'],
    seats: 3,
    activation_id: 'act_1',
    machine: 'a'.repeat(64),
    license_expires_at: '2026-01-01T00:00:00.000Z',
    grace_until: '2026-01-15T00:00:00.000Z',
    valid_from: '2025-01-01T00:00:00.000Z',
    valid_until: '2025-01-31T00:00:00.000Z',
    issued_at: '2025-01-01T00:00:00.000Z',
    status: 'active',
    ...overrides,
  };
}

/** Writes a machine-id(5) file holding `id` (32 hex digits) and returns its path. */
export function machineIdFile(dir: string, id: string): string {
  const file = join(dir, `machine-id-${id.slice(0, 6)}`);
  writeFileSync(file, `${id}\n`);
  return file;
}
