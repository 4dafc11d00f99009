// checkLicense: the offline verdict that updates and network look-ups ask for, from the files in the
// agent folder, the pinned vendor key and this machine's fingerprint.
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkLicense, LicenseError, licenseStatePaths, machineFingerprint, presentLicense } from '../../src/agent/license/index.js';
import { writeActivation, writeLicenseFile } from '../../src/agent/license/license-state.js';
import { signLicenseFile, type LicensePayload } from '../../src/protocol/index.js';
import { tempDir } from '../helpers/cli.js';
import { activationRecord, licensePayload, machineIdFile, vendor } from './license-fixtures.js';

const dirs: { cleanup(): void }[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.cleanup();
});

const MACHINE_A = '0123456789abcdef0123456789abcdef';
const MACHINE_B = 'fedcba9876543210fedcba9876543210';

/** An agent folder activated for machine A with `overrides` in its license file; `env` plays machine A. */
function activated(overrides: Partial<LicensePayload> = {}, signer = vendor.privateKey) {
  const d = tempDir('vigil-entitle-');
  dirs.push(d);
  const idA = machineIdFile(d.path, MACHINE_A);
  const idB = machineIdFile(d.path, MACHINE_B);
  const fingerprint = machineFingerprint({ machineIdFiles: [idA] }).fingerprint;
  const agentDir = join(d.path, 'agent');
  writeActivation(agentDir, activationRecord());
  writeLicenseFile(agentDir, signLicenseFile(licensePayload({ machine: fingerprint, ...overrides }), signer));
  return { agentDir, env: { VIGIL_MACHINE_ID_FILE: idA }, otherMachine: { VIGIL_MACHINE_ID_FILE: idB } };
}

const at = (iso: string) => new Date(iso);

describe('checkLicense', () => {
  it('is valid inside the file’s window, with whole days left until the file ends', () => {
    const { agentDir, env } = activated();
    const v = checkLicense(agentDir, { now: at('2025-01-10T12:00:00Z'), env });
    expect(v).toMatchObject({ ok: true, state: 'valid', daysLeft: 20, payload: { license_id: 'lic_1' }, activation: { activation_id: 'act_1', server: 'https://licensing.example.com' } });
    expect(v.activation).not.toHaveProperty('secret');
    expect(v.message).toBe(
      'this license is valid until 2026-01-01T00:00:00.000Z; this machine\'s license file is good for 20 days (until 2025-01-31T00:00:00.000Z) and is renewed by "vigil license refresh"',
    );
    expect(checkLicense(agentDir, { now: at('2025-01-30T12:00:00Z'), env }).message).toContain('good for less than a day');
  });

  it('is in grace after the license ends and before its grace ends', () => {
    const { agentDir, env } = activated({ license_expires_at: '2025-01-05T00:00:00.000Z', grace_until: '2025-01-19T00:00:00.000Z', valid_until: '2025-01-19T00:00:00.000Z' });
    const v = checkLicense(agentDir, { now: at('2025-01-10T00:00:00Z'), env });
    expect(v).toMatchObject({ ok: true, state: 'grace', daysLeft: 9 });
    expect(v.message).toBe('this license ended on 2025-01-05T00:00:00.000Z and is in its grace period until 2025-01-19T00:00:00.000Z: it keeps working for 9 days; renew it');
  });

  it('says in plain words when the file has expired, or starts later than this clock', () => {
    const { agentDir, env } = activated();
    expect(checkLicense(agentDir, { now: at('2025-02-01T00:00:00Z'), env })).toMatchObject({
      ok: false,
      state: 'expired',
      daysLeft: null,
      message: 'this license file expired on 2025-01-31T00:00:00.000Z; connect to the internet and refresh it (vigil license refresh)',
    });
    expect(checkLicense(agentDir, { now: at('2024-12-31T00:00:00Z'), env })).toMatchObject({ ok: false, state: 'not_yet_valid' });
  });

  it('refuses the file on another machine', () => {
    const { agentDir, otherMachine } = activated();
    const v = checkLicense(agentDir, { now: at('2025-01-10T00:00:00Z'), env: otherMachine });
    expect(v).toMatchObject({ ok: false, state: 'wrong_machine', message: 'this license file belongs to another machine; activate the license on this machine to get its own file' });
  });

  it('calls an altered file, or one signed by another key, tampered', () => {
    const { agentDir, env } = activated();
    const file = licenseStatePaths(agentDir).license;
    writeFileSync(file, readFileSync(file, 'utf8').replace('"seats": 3', '"seats": 300'));
    const v = checkLicense(agentDir, { now: at('2025-01-10T00:00:00Z'), env });
    expect(v).toMatchObject({ ok: false, state: 'tampered' });
    expect(v.message).toBe('the license file cannot be trusted: this license file was altered or damaged: its signature does not match its content; run "vigil license refresh" to fetch a genuine one');
    expect(v).not.toHaveProperty('payload');

    const forged = activated({}, generateKeyPairSync('ed25519').privateKey);
    expect(checkLicense(forged.agentDir, { now: at('2025-01-10T00:00:00Z'), env: forged.env })).toMatchObject({ ok: false, state: 'tampered' });
  });

  it('answers for an entitlement, and for a suspended license', () => {
    const { agentDir, env } = activated();
    expect(checkLicense(agentDir, { now: at('2025-01-10T00:00:00Z'), env, entitlement: 'updates' }).ok).toBe(true);
    expect(checkLicense(agentDir, { now: at('2025-01-10T00:00:00Z'), env, entitlement: 'daemon' })).toMatchObject({
      ok: false,
      state: 'no_entitlement',
      message: 'this license does not include "daemon" (it includes network, updates)',
    });
    const suspended = activated({ status: 'suspended' });
    expect(checkLicense(suspended.agentDir, { now: at('2025-01-10T00:00:00Z'), env: suspended.env })).toMatchObject({ ok: false, state: 'suspended' });
  });

  it('tells apart no license, a missing file and damaged files', () => {
    const empty = tempDir('vigil-entitle-');
    dirs.push(empty);
    expect(checkLicense(empty.path, { now: new Date() })).toMatchObject({ ok: false, state: 'not_activated', message: 'this machine has no license; activate one with "vigil license activate KEY"' });

    const { agentDir, env } = activated();
    const paths = licenseStatePaths(agentDir);
    writeFileSync(paths.license, 'not json');
    expect(checkLicense(agentDir, { now: at('2025-01-10T00:00:00Z'), env })).toMatchObject({ ok: false, state: 'damaged', activation: { activation_id: 'act_1' } });
    writeFileSync(paths.activation, '{');
    expect(checkLicense(agentDir, { now: at('2025-01-10T00:00:00Z'), env }).message).toContain('activation.json is damaged');

    const missing = activated();
    unlinkSync(licenseStatePaths(missing.agentDir).license);
    expect(checkLicense(missing.agentDir, { now: at('2025-01-10T00:00:00Z'), env: missing.env })).toMatchObject({
      ok: false,
      state: 'missing_file',
      message: 'this machine is activated but its license file is missing; run "vigil license refresh" to fetch it',
    });
    unlinkSync(licenseStatePaths(missing.agentDir).activation);
    writeLicenseFile(missing.agentDir, signLicenseFile(licensePayload(), vendor.privateKey));
    expect(checkLicense(missing.agentDir, { now: at('2025-01-10T00:00:00Z'), env: missing.env }).message).toContain('the activation record (with the vendor key that verifies it) is missing');
  });

  it('presents the activation and the file for requests, and refuses without an activation', () => {
    const { agentDir } = activated();
    expect(presentLicense(agentDir)).toMatchObject({ activation_id: 'act_1', license_file: { format: 'vigil-license-v1', payload: { license_id: 'lic_1' } } });
    const empty = tempDir('vigil-entitle-');
    dirs.push(empty);
    expect(() => presentLicense(empty.path)).toThrow(LicenseError);
  });

  it('reports a machine id file that holds no id, instead of switching machines silently', () => {
    const { agentDir } = activated();
    const bad = join(agentDir, 'not-an-id');
    writeFileSync(bad, 'uninitialized\n');
    const v = checkLicense(agentDir, { now: at('2025-01-10T00:00:00Z'), env: { VIGIL_MACHINE_ID_FILE: bad } });
    expect(v).toMatchObject({ ok: false, state: 'damaged' });
    expect(v.message).toBe(`cannot tell which machine this is: VIGIL_MACHINE_ID_FILE names ${bad}, which does not hold a machine id (32 hex digits)`);
  });
});
