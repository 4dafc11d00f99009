/**
 * Activation binds a machine (its fingerprint) to a seat of a license and gives the machine a
 * signed license file; check-in refreshes the file; deactivation frees the seat. The seat count is
 * checked with the license row locked, so concurrent activations cannot overfill a license on
 * PostgreSQL (SQLite's write transactions are exclusive). The same machine activating again keeps
 * its seat. Activations per license per day are capped, so cycling cannot mint files.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { signLicenseFile, type LicenseFile } from '../../protocol/index.js';
import type { Actor } from '../accounts/index.js';
import { appendAudit } from '../audit/index.js';
import { newId } from '../auth/index.js';
import type { CloudConfig } from '../config.js';
import type { Queryable } from '../store/index.js';
import { licenseState, type License } from './licenses.js';
import type { LicenseSigningKey } from './signing-key.js';

const DAY_MS = 86_400_000;
const CLOCK_SKEW_MS = 5 * 60_000;

export interface Activation {
  id: string;
  license_id: string;
  fingerprint: string;
  machine_name: string;
  activated_at: string;
  last_checkin_at: string;
  deactivated_at: string | null;
  ended_by: string | null;
}

const COLUMNS = 'id, license_id, fingerprint, machine_name, activated_at, last_checkin_at, deactivated_at, ended_by';

export type ActivationRefusal =
  | { code: 'license_suspended' | 'license_revoked' | 'license_expired' | 'license_not_started'; message: string }
  | { code: 'no_free_seat'; message: string }
  | { code: 'too_many_activations'; message: string; retryAfterSeconds: number };

function hashSecret(secret: string): string {
  return createHash('sha256').update(`vigil-activation-v1\n${secret}`).digest('hex');
}

export function activationSecretMatches(secret: string, storedHash: string): boolean {
  const a = Buffer.from(hashSecret(secret), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Why this license cannot be used now, in words for the user; null when it can. */
export function refuseUnusable(license: License, now: Date): ActivationRefusal | null {
  switch (licenseState(license, now)) {
    case 'suspended':
      return { code: 'license_suspended', message: 'this license is suspended; contact your vendor' };
    case 'revoked':
      return { code: 'license_revoked', message: 'this license was revoked' };
    case 'expired':
      return { code: 'license_expired', message: `this license expired on ${license.expires_at} and its grace period ended on ${license.grace_until}; renew it` };
    case 'not_started':
      return { code: 'license_not_started', message: `this license starts on ${license.starts_at}` };
    default:
      return null;
  }
}

export async function listActivations(q: Queryable, licenseId: string, activeOnly = false): Promise<Activation[]> {
  return q.all<Activation>(`SELECT ${COLUMNS} FROM activations WHERE license_id = ?${activeOnly ? ' AND deactivated_at IS NULL' : ''} ORDER BY activated_at, id`, [licenseId]);
}

export async function getActivation(q: Queryable, id: string): Promise<(Activation & { secret_hash: string }) | undefined> {
  return q.get(`SELECT ${COLUMNS}, secret_hash FROM activations WHERE id = ?`, [id]);
}

/** The license must be locked by the caller (getLicense(tx, id, true)). */
export async function activateSeat(
  tx: Queryable,
  license: License,
  machine: { fingerprint: string; name: string },
  actor: Actor,
  config: CloudConfig,
): Promise<{ activation: Activation; secret: string; reused: boolean } | ActivationRefusal> {
  const unusable = refuseUnusable(license, actor.now);
  if (unusable) return unusable;
  const since = new Date(actor.now.getTime() - DAY_MS).toISOString();
  const recent = (await tx.get<{ n: number }>('SELECT COUNT(*) AS n FROM activations WHERE license_id = ? AND activated_at > ?', [license.id, since]))?.n ?? 0;
  const cap = config.activationsPerDayPerSeat * license.seats;
  if (recent >= cap) {
    // The window rolls: a new activation is allowed once the oldest one in it is 24 hours old.
    const oldest = await tx.get<{ at: string }>('SELECT activated_at AS at FROM activations WHERE license_id = ? AND activated_at > ? ORDER BY activated_at LIMIT 1 OFFSET ?', [license.id, since, recent - cap]);
    const wait = oldest ? Math.max(1, Math.ceil((Date.parse(oldest.at) + DAY_MS - actor.now.getTime()) / 1000)) : 3600;
    return { code: 'too_many_activations', message: `this license was activated ${recent} times in the last 24 hours (the limit is ${cap}); try again in ${Math.ceil(wait / 60)} minutes`, retryAfterSeconds: wait };
  }
  const secret = randomBytes(32).toString('base64url');
  const now = actor.now.toISOString();
  const existing = await tx.get<Activation>(`SELECT ${COLUMNS} FROM activations WHERE license_id = ? AND fingerprint = ? AND deactivated_at IS NULL`, [license.id, machine.fingerprint]);
  if (existing) {
    // The same machine again (a reinstall, a replayed request): same seat, fresh secret and file.
    await tx.run('UPDATE activations SET secret_hash = ?, machine_name = ?, last_checkin_at = ? WHERE id = ?', [hashSecret(secret), machine.name, now, existing.id]);
    await appendAudit(tx, { kind: 'license.activate', actor: actor.name, tenant: license.tenant_id, data: { license: license.id, activation: existing.id, reused: true } }, actor.now);
    return { activation: { ...existing, machine_name: machine.name, last_checkin_at: now }, secret, reused: true };
  }
  const used = (await tx.get<{ n: number }>('SELECT COUNT(*) AS n FROM activations WHERE license_id = ? AND deactivated_at IS NULL', [license.id]))?.n ?? 0;
  if (used >= license.seats) {
    return { code: 'no_free_seat', message: `all ${license.seats} seats of this license are in use; deactivate a machine first` };
  }
  const activation: Activation = { id: newId('act'), license_id: license.id, fingerprint: machine.fingerprint, machine_name: machine.name, activated_at: now, last_checkin_at: now, deactivated_at: null, ended_by: null };
  await tx.run('INSERT INTO activations (id, license_id, fingerprint, machine_name, secret_hash, activated_at, last_checkin_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [
    activation.id,
    license.id,
    activation.fingerprint,
    activation.machine_name,
    hashSecret(secret),
    now,
    now,
  ]);
  await appendAudit(tx, { kind: 'license.activate', actor: actor.name, tenant: license.tenant_id, data: { license: license.id, activation: activation.id, machine_name: activation.machine_name, seats_used: used + 1 } }, actor.now);
  return { activation, secret, reused: false };
}

export async function deactivateSeat(tx: Queryable, activation: Activation, tenantId: string, actor: Actor): Promise<Activation> {
  if (activation.deactivated_at) return activation;
  const at = actor.now.toISOString();
  await tx.run('UPDATE activations SET deactivated_at = ?, ended_by = ? WHERE id = ?', [at, actor.name, activation.id]);
  await appendAudit(tx, { kind: 'license.deactivate', actor: actor.name, tenant: tenantId, data: { license: activation.license_id, activation: activation.id } }, actor.now);
  return { ...activation, deactivated_at: at, ended_by: actor.name };
}

export async function recordCheckin(tx: Queryable, activation: Activation, now: Date): Promise<void> {
  await tx.run('UPDATE activations SET last_checkin_at = ? WHERE id = ?', [now.toISOString(), activation.id]);
}

/** The signed file a machine keeps: valid for `licenseFileDays`, never past the license's grace end. */
export function issueLicenseFile(license: License, activation: Activation, key: LicenseSigningKey, now: Date, config: CloudConfig): LicenseFile {
  const until = Math.min(now.getTime() + config.licenseFileDays * DAY_MS, Date.parse(license.grace_until));
  return signLicenseFile(
    {
      license_id: license.id,
      key_hint: license.key_hint,
      holder_tenant: license.tenant_id,
      holder_name: license.tenant_name,
      product: license.product,
      plan: license.plan,
      entitlements: license.entitlements,
      seats: license.seats,
      activation_id: activation.id,
      machine: activation.fingerprint,
      license_expires_at: license.expires_at,
      grace_until: license.grace_until,
      // A few minutes early, so that an agent whose clock is a little behind still accepts a fresh file.
      valid_from: new Date(now.getTime() - CLOCK_SKEW_MS).toISOString(),
      valid_until: new Date(until).toISOString(),
      issued_at: now.toISOString(),
      status: license.status === 'suspended' ? 'suspended' : 'active',
    },
    key.privateKey,
  );
}
