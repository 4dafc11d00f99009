/**
 * Whether this machine may use its license now, offline: the license file in the agent folder,
 * verified with the vendor key pinned at activation, for this machine's fingerprint, at `now`.
 * Updates and network look-ups ask this before they present the license (presentLicense) with
 * their requests; scanning never asks: it works with or without a license.
 *
 * The answer is a verdict, not an error: every state has a message in plain words, and only
 * 'valid' and 'grace' are `ok`.
 */
import { importPublicKeyPem, verifyLicenseFile, type LicenseFailureCode, type LicenseFile, type LicensePayload } from '../../protocol/index.js';
import type { MachineFingerprint } from './fingerprint.js';
import { LicenseError } from './license-error.js';
import { readActivation, readLicenseFile, type ActivationRecord } from './license-state.js';
import { thisMachine } from './machine.js';

const DAY_MS = 86_400_000;

export type LicenseVerdictState =
  | 'valid'
  | 'grace' // the license has ended and is in its grace period: works, renew it
  | 'not_activated' // no activation in this agent folder
  | 'missing_file' // activated, but the license file is missing: refresh
  | 'damaged' // a local file is unreadable or inconsistent
  | 'tampered' // the license file was altered, or signed by a key other than the pinned one
  | 'wrong_machine' // the license file belongs to another machine (a copied agent folder)
  | 'not_yet_valid' // the file starts later: this machine's clock is behind
  | 'expired' // the file, or the license and its grace, ended
  | 'suspended'
  | 'no_entitlement'; // valid, but without the entitlement asked for

/** activation.json without its secrets. */
export type ActivationSummary = Omit<ActivationRecord, 'secret' | 'vendor_key_pem'>;

export interface LicenseVerdict {
  ok: boolean;
  state: LicenseVerdictState;
  /** Plain words for the user: what is the case and what to do. */
  message: string;
  /** Whole days until the license file stops being valid (ok states only; 0: less than a day). */
  daysLeft: number | null;
  /** What the file says, once its signature verified. */
  payload?: LicensePayload;
  activation?: ActivationSummary;
  machine?: MachineFingerprint;
}

export interface CheckLicenseOptions {
  now: Date;
  /** e.g. 'updates' or 'network': the verdict is not ok unless the license includes it. */
  entitlement?: string;
  env?: NodeJS.ProcessEnv;
}

const STATE_OF: Record<LicenseFailureCode, LicenseVerdictState> = {
  MALFORMED: 'damaged',
  UNKNOWN_KEY: 'tampered',
  BAD_SIGNATURE: 'tampered',
  WRONG_MACHINE: 'wrong_machine',
  NOT_YET_VALID: 'not_yet_valid',
  EXPIRED: 'expired',
  SUSPENDED: 'suspended',
  NO_ENTITLEMENT: 'no_entitlement',
};

function summary(a: ActivationRecord): ActivationSummary {
  const { secret: _secret, vendor_key_pem: _pem, ...rest } = a;
  return rest;
}

const fail = (state: LicenseVerdictState, message: string, extra: Partial<LicenseVerdict> = {}): LicenseVerdict => ({ ok: false, state, message, daysLeft: null, ...extra });

export function checkLicense(agentDir: string, options: CheckLicenseOptions): LicenseVerdict {
  let activation: ActivationRecord | undefined;
  let file: LicenseFile | undefined;
  try {
    activation = readActivation(agentDir);
  } catch (e) {
    if (e instanceof LicenseError) return fail('damaged', e.message);
    throw e;
  }
  const base: Partial<LicenseVerdict> = activation ? { activation: summary(activation) } : {};
  try {
    file = readLicenseFile(agentDir);
  } catch (e) {
    if (e instanceof LicenseError) return fail('damaged', e.message, base);
    throw e;
  }
  if (!activation && !file) return fail('not_activated', 'this machine has no license; activate one with "vigil license activate KEY"');
  if (!activation) return fail('damaged', 'the license file is here but the activation record (with the vendor key that verifies it) is missing; activate the license again');
  if (!file) return fail('missing_file', 'this machine is activated but its license file is missing; run "vigil license refresh" to fetch it', base);

  let machine: MachineFingerprint;
  try {
    machine = thisMachine(options.env);
  } catch (e) {
    if (e instanceof LicenseError) return fail('damaged', e.message, base);
    throw e;
  }
  const check = verifyLicenseFile(file, {
    publicKeys: [importPublicKeyPem(activation.vendor_key_pem)], // checked when read
    machine: machine.fingerprint,
    now: options.now,
    ...(options.entitlement === undefined ? {} : { entitlement: options.entitlement }),
  });
  const withMachine = { ...base, machine };
  if (!check.ok) {
    const state = STATE_OF[check.code];
    const message = state === 'tampered' ? `the license file cannot be trusted: ${check.reason}; run "vigil license refresh" to fetch a genuine one` : check.reason;
    return fail(state, message, { ...withMachine, ...(check.payload ? { payload: check.payload } : {}) });
  }
  const p = check.payload;
  if (p.activation_id !== activation.activation_id) {
    return fail('damaged', `the license file is for activation ${p.activation_id}, but this machine's activation is ${activation.activation_id}; run "vigil license refresh"`, { ...withMachine, payload: p });
  }
  const end = Math.min(Date.parse(p.valid_until), Date.parse(p.grace_until));
  const daysLeft = Math.max(0, Math.floor((end - options.now.getTime()) / DAY_MS));
  const left = daysLeft === 0 ? 'less than a day' : `${daysLeft} day${daysLeft === 1 ? '' : 's'}`;
  const message =
    check.state === 'grace'
      ? `this license ended on ${p.license_expires_at} and is in its grace period until ${p.grace_until}: it keeps working for ${left}; renew it`
      : `this license is valid until ${p.license_expires_at}; this machine's license file is good for ${left} (until ${p.valid_until}) and is renewed by "vigil license refresh"`;
  return { ok: true, state: check.state, message, daysLeft, payload: p, ...withMachine };
}

/**
 * What a request to the vendor's cloud carries to show its license: the activation and the signed
 * file. Throws NOT_ACTIVATED when there is none; ask checkLicense first whether it is usable.
 */
export function presentLicense(agentDir: string): { activation_id: string; license_file: LicenseFile } {
  const activation = readActivation(agentDir);
  const file = readLicenseFile(agentDir);
  if (!activation || !file) throw new LicenseError('NOT_ACTIVATED', 'this machine has no license; activate one with "vigil license activate KEY"');
  return { activation_id: activation.activation_id, license_file: file };
}
