/**
 * Activating this machine, refreshing its license file (check-in) and deactivating it.
 *
 * Trust: license files are verified with the vendor's Ed25519 public key pinned in activation.json.
 * The key is pinned at activation: the one the user gives (`vendorKeyPem`, from the vendor's
 * documentation or installation media), else the one this agent folder already pinned for the same
 * server, else the one the server serves at that moment: trust on first use, which an attacker
 * between this machine and the server at that first moment could subvert. Every file received is
 * verified before it is saved (signature, machine, activation, key), and a file older than the one
 * kept is refused (a replayed answer cannot roll the license back).
 */
import type { KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import {
  checkLicenseKey,
  exportPublicKeyPem,
  importPublicKeyPem,
  licenseKeyHint,
  parseLicenseFileText,
  publicKeyId,
  verifyLicenseFile,
  type LicenseCheck,
  type LicenseFile,
} from '../../protocol/index.js';
import { LicenseClient } from './license-client.js';
import { LicenseError } from './license-error.js';
import { licenseStatePaths, readActivation, readLicenseFile, removeLicenseState, writeActivation, writeLicenseFile, type ActivationRecord } from './license-state.js';
import { thisMachine } from './machine.js';
import type { PolicyDecision } from '../policy-decision.js';

export interface ServerOptions {
  timeoutMs?: number;
  fetch?: typeof fetch;
  env?: NodeJS.ProcessEnv;
  now?: () => Date;
}

export interface ActivateRequest extends ServerOptions {
  agentDir: string;
  /** The key as the user typed it. */
  key: string;
  server: string;
  machineName: string;
  /** The vendor's public key (SPKI PEM) to pin instead of the one the server serves. */
  vendorKeyPem?: string;
  /** The country the user says they are in (ISO 3166), for when the server cannot place the address. */
  declaredLocation?: string;
}

/** A license file received and saved. `check` is its verdict at receipt: valid, or why not (time, suspension). */
export interface LicenseReceipt {
  activation: ActivationRecord;
  license: LicenseFile;
  check: LicenseCheck;
  notices: PolicyDecision[];
}

export interface ActivateOutcome extends LicenseReceipt {
  reusedSeat: boolean;
  /** Where the pinned vendor key came from. */
  vendorKey: 'given' | 'pinned' | 'server';
}

/** The server's URL as stored: without a trailing slash. */
const canonicalServer = (s: string) => s.replace(/\/+$/, '');

/** Checks a received file; returns it as parsed, or throws UNTRUSTED_FILE. */
function acceptFile(received: unknown, key: KeyObject, machine: string, now: Date, expect: { activationId: string; keyHint: string }, what: string): { file: LicenseFile; check: LicenseCheck } {
  const check = verifyLicenseFile(received, { publicKeys: [key], machine, now });
  const untrusted = (why: string) => new LicenseError('UNTRUSTED_FILE', `the license file the server sent cannot be trusted: ${why}; ${what}`);
  // Time and suspension are facts about an authentic file: kept, and reported by its verdict.
  if (!check.ok && (check.payload === undefined || check.code === 'WRONG_MACHINE')) throw untrusted(check.reason);
  const payload = check.ok ? check.payload : check.payload!;
  if (payload.activation_id !== expect.activationId) throw untrusted(`it is for activation ${payload.activation_id}, not ${expect.activationId}`);
  if (payload.key_hint !== expect.keyHint) throw untrusted(`it is for a license key ending ${payload.key_hint}, not ${expect.keyHint}`);
  const parsed = parseLicenseFileText(JSON.stringify(received));
  if (!parsed.ok) throw untrusted(parsed.reason);
  return { file: parsed.file, check };
}

/**
 * Whether the agent folder's license file is authentic but for another machine: the folder was
 * copied from there, and its activation (with that machine's secret) is not this machine's to use.
 */
function copiedFromAnotherMachine(agentDir: string, activation: ActivationRecord, machine: string): boolean {
  let file: LicenseFile | undefined;
  try {
    file = readLicenseFile(agentDir);
  } catch {
    return false;
  }
  if (!file) return false;
  const check = verifyLicenseFile(file, { publicKeys: [importPublicKeyPem(activation.vendor_key_pem)], machine, now: new Date() });
  return !check.ok && check.code === 'WRONG_MACHINE';
}

async function vendorKeyFor(request: ActivateRequest, client: LicenseClient, existing: ActivationRecord | undefined): Promise<{ key: KeyObject; source: ActivateOutcome['vendorKey'] }> {
  if (request.vendorKeyPem !== undefined) {
    try {
      return { key: importPublicKeyPem(request.vendorKeyPem), source: 'given' };
    } catch (e) {
      throw new LicenseError('VENDOR_KEY', 'the vendor key given is not an Ed25519 public key in PEM form (-----BEGIN PUBLIC KEY-----)', undefined, { cause: e });
    }
  }
  if (existing && canonicalServer(existing.server) === canonicalServer(request.server)) return { key: importPublicKeyPem(existing.vendor_key_pem), source: 'pinned' };
  const served = await client.publicKey();
  let key: KeyObject;
  try {
    if (served.algorithm !== 'ed25519') throw new Error(`algorithm ${served.algorithm}`);
    key = importPublicKeyPem(served.pem);
  } catch (e) {
    throw new LicenseError('VENDOR_KEY', `the server's vendor key is not an Ed25519 public key (${(e as Error).message})`, undefined, { cause: e });
  }
  if (publicKeyId(key) !== served.key_id) throw new LicenseError('VENDOR_KEY', "the server's vendor key does not match the key id it gives");
  return { key, source: 'server' };
}

export async function activateLicense(request: ActivateRequest): Promise<ActivateOutcome> {
  // Checked before anything else: a mistyped key never reaches the server.
  const checked = checkLicenseKey(request.key);
  if (!checked.ok) throw new LicenseError('INVALID_KEY', `this license key is mistyped: ${checked.reason}`);
  const keyHint = licenseKeyHint(checked.key);
  const client = new LicenseClient({ server: request.server, ...clientOptions(request) });
  const machine = thisMachine(request.env);
  let existing: ActivationRecord | undefined;
  try {
    existing = readActivation(request.agentDir);
  } catch (e) {
    if (!(e instanceof LicenseError && e.code === 'STATE_CORRUPT')) throw e;
    existing = undefined; // a damaged record is replaced: it could not be used anyway
  }
  // A folder copied from another machine holds that machine's activation: ignored, then replaced.
  if (existing && copiedFromAnotherMachine(request.agentDir, existing, machine.fingerprint)) existing = undefined;
  if (existing && existing.key_hint !== keyHint) {
    throw new LicenseError(
      'ALREADY_ACTIVATED',
      `this machine is already activated with the license key ending ${existing.key_hint} (activation ${existing.activation_id}); run "vigil license deactivate" first to free that seat`,
    );
  }
  const vendor = await vendorKeyFor(request, client, existing);
  const answer = await client.activate({
    key: checked.key,
    fingerprint: machine.fingerprint,
    machine_name: request.machineName,
    ...(request.declaredLocation === undefined ? {} : { declared_location: request.declaredLocation }),
  });
  const now = request.now?.() ?? new Date();
  let accepted: { file: LicenseFile; check: LicenseCheck };
  try {
    const keyNote = vendor.source === 'given' ? 'the vendor key you gave' : vendor.source === 'pinned' ? 'the vendor key pinned earlier' : "the server's vendor key";
    accepted = acceptFile(answer.license_file, vendor.key, machine.fingerprint, now, { activationId: answer.activation_id, keyHint }, `it does not verify with ${keyNote}, so nothing was saved`);
  } catch (e) {
    // Give back a seat this attempt took (never one this machine already held).
    if (!answer.reused_seat) await client.deactivate(answer.activation_id, answer.secret).catch(() => undefined);
    throw e;
  }
  const activation: ActivationRecord = {
    server: canonicalServer(request.server),
    activation_id: answer.activation_id,
    secret: answer.secret,
    key_hint: keyHint,
    vendor_key_pem: exportPublicKeyPem(vendor.key),
    vendor_key_id: publicKeyId(vendor.key),
    machine_name: request.machineName,
    activated_at: now.toISOString(),
  };
  writeActivation(request.agentDir, activation); // first: it holds the secret that frees the seat
  writeLicenseFile(request.agentDir, accepted.file);
  return { activation, license: accepted.file, check: accepted.check, notices: answer.notices, reusedSeat: answer.reused_seat, vendorKey: vendor.source };
}

function clientOptions(o: ServerOptions): { timeoutMs?: number; fetch?: typeof fetch } {
  return { ...(o.timeoutMs === undefined ? {} : { timeoutMs: o.timeoutMs }), ...(o.fetch === undefined ? {} : { fetch: o.fetch }) };
}

function requireActivation(agentDir: string): ActivationRecord {
  const activation = readActivation(agentDir);
  if (!activation) throw new LicenseError('NOT_ACTIVATED', 'this machine is not activated; activate it with "vigil license activate KEY"');
  return activation;
}

export interface RefreshRequest extends ServerOptions {
  agentDir: string;
  declaredLocation?: string;
}

/**
 * Check-in: a fresh license file from the server, verified, then saved in place of the old one. On
 * any error (a policy refusal, an unreachable server, a file that does not verify) the old file
 * stays as it was.
 */
export async function refreshLicense(request: RefreshRequest): Promise<LicenseReceipt> {
  const activation = requireActivation(request.agentDir);
  const client = new LicenseClient({ server: activation.server, ...clientOptions(request) });
  const machine = thisMachine(request.env);
  let current: LicenseFile | undefined;
  try {
    current = readLicenseFile(request.agentDir);
  } catch {
    current = undefined; // a damaged file is what a refresh repairs
  }
  const answer = await client.refresh(activation.activation_id, {
    secret: activation.secret,
    ...(request.declaredLocation === undefined ? {} : { declared_location: request.declaredLocation }),
  });
  const now = request.now?.() ?? new Date();
  const accepted = acceptFile(answer.license_file, importPublicKeyPem(activation.vendor_key_pem), machine.fingerprint, now, { activationId: activation.activation_id, keyHint: activation.key_hint }, 'the license file you have was kept');
  // TUF 5.4.3-style rollback check: never replace a file with an older one.
  if (current && Date.parse(accepted.file.payload.issued_at) < Date.parse(current.payload.issued_at)) {
    throw new LicenseError('UNTRUSTED_FILE', `the license file the server sent (issued ${accepted.file.payload.issued_at}) is older than the one you have (issued ${current.payload.issued_at}); the license file you have was kept`);
  }
  writeLicenseFile(request.agentDir, accepted.file);
  return { activation, license: accepted.file, check: accepted.check, notices: answer.notices };
}

export interface DeactivateRequest extends ServerOptions {
  agentDir: string;
  /** Remove the local files without asking the server (which then still counts the seat as used). */
  localOnly?: boolean;
}

export interface DeactivateOutcome {
  /** The activation removed, when its record could be read. */
  activation?: ActivationRecord;
  /** The server's confirmation; undefined with localOnly. */
  deactivatedAt?: string;
}

/** Frees this machine's seat on the server, then removes the local files (only after the server confirmed). */
export async function deactivateLicense(request: DeactivateRequest): Promise<DeactivateOutcome> {
  if (request.localOnly) {
    if (!existsSync(licenseStatePaths(request.agentDir).dir)) throw new LicenseError('NOT_ACTIVATED', 'this machine is not activated: there is nothing to remove');
    let activation: ActivationRecord | undefined;
    try {
      activation = readActivation(request.agentDir);
    } catch (e) {
      if (!(e instanceof LicenseError)) throw e; // damaged or unreadable: removed all the same
    }
    removeLicenseState(request.agentDir);
    return activation ? { activation } : {};
  }
  const activation = requireActivation(request.agentDir); // damaged: its message points to --local-only
  if (copiedFromAnotherMachine(request.agentDir, activation, thisMachine(request.env).fingerprint)) {
    throw new LicenseError(
      'WRONG_MACHINE',
      `this agent folder was copied from another machine: its activation ${activation.activation_id} is that machine's, and deactivating it here would free that machine's seat; remove the copy with "vigil license deactivate --local-only"`,
    );
  }
  const client = new LicenseClient({ server: activation.server, ...clientOptions(request) });
  const done = await client.deactivate(activation.activation_id, activation.secret);
  removeLicenseState(request.agentDir);
  return { activation, deactivatedAt: done.deactivated_at };
}
