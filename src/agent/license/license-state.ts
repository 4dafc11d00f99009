/**
 * What the agent keeps about its license, in `<agent dir>/license/` (owner-only):
 * - `activation.json`: where and how this machine was activated, with the activation's secret (the
 *   credential for check-in and deactivation) and the pinned vendor public key that verifies
 *   license files;
 * - `license.json`: the signed license file as the server issued it (protocol/license-file.ts).
 * Both are written atomically (atomic-file.ts) with mode 0600, activation.json first: a crash
 * between the two leaves an activation that `vigil license refresh` completes, never a license file
 * without the secret that frees its seat. Reading checks every field and names the file and field
 * when something is wrong; it never trusts a size or a type it did not check.
 */
import { closeSync, constants, fstatSync, openSync, readSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { formatLicenseFile, importPublicKeyPem, parseLicenseFileText, publicKeyId, type LicenseFile } from '../../protocol/index.js';
import { ensureAgentDir } from '../agent-dir.js';
import { syncFolder, writeFileAtomic } from '../atomic-file.js';
import { LicenseError } from './license-error.js';

export const LICENSE_STATE_DIR = 'license';
export const ACTIVATION_FILE = 'activation.json';
export const LICENSE_FILE = 'license.json';
/** Mode of the state files: owner read and write only (activation.json holds a secret). */
export const STATE_FILE_MODE = 0o600;
/** The largest state file read, in bytes (real ones are under 4 KiB). */
export const STATE_FILE_MAX_BYTES = 64 * 1024;
/** The longest id, secret or machine name accepted in activation.json, in characters. */
const FIELD_MAX_CHARS = 256;

export interface ActivationRecord {
  /** The license server's base URL, e.g. https://licensing.example.com. */
  server: string;
  activation_id: string;
  /** The activation's secret: check-in and deactivation present it. */
  secret: string;
  /** The last 5 symbols of the license key (the key itself is never stored). */
  key_hint: string;
  /** The vendor's Ed25519 public key (SPKI PEM) pinned at activation. */
  vendor_key_pem: string;
  /** publicKeyId of vendor_key_pem. */
  vendor_key_id: string;
  machine_name: string;
  activated_at: string;
}

const ACTIVATION_FIELDS = ['server', 'activation_id', 'secret', 'key_hint', 'vendor_key_pem', 'vendor_key_id', 'machine_name', 'activated_at'] as const;
const KEY_HINT_RE = /^[0-9A-HJKMNP-TV-Z]{5}$/;
const HEX64_RE = /^[0-9a-f]{64}$/;
const PRINTABLE_RE = /^[^\u0000-\u001f\u007f-\u009f]+$/u;

export function licenseStatePaths(agentDir: string): { dir: string; activation: string; license: string } {
  const dir = join(agentDir, LICENSE_STATE_DIR);
  return { dir, activation: join(dir, ACTIVATION_FILE), license: join(dir, LICENSE_FILE) };
}

/** The bytes of `file`, or undefined when it does not exist. Refuses links, non-files and oversized files. */
function readStateFile(file: string): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') throw new LicenseError('STATE_CORRUPT', `${file} is a symbolic link; Vigil only reads the file it wrote there`, undefined, { cause: e });
    throw new LicenseError('STATE_IO', `cannot read ${file}: ${(e as Error).message}`, undefined, { cause: e });
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new LicenseError('STATE_CORRUPT', `${file} is not a regular file`);
    if (stat.size > STATE_FILE_MAX_BYTES) throw new LicenseError('STATE_CORRUPT', `${file} is damaged: ${stat.size} bytes, where it should be under ${STATE_FILE_MAX_BYTES}`);
    const buf = Buffer.alloc(stat.size);
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, got);
      if (n === 0) break;
      got += n;
    }
    return buf.subarray(0, got);
  } catch (e) {
    if (e instanceof LicenseError) throw e;
    throw new LicenseError('STATE_IO', `cannot read ${file}: ${(e as Error).message}`, undefined, { cause: e });
  } finally {
    closeSync(fd);
  }
}

/** Checks a parsed activation.json; throws STATE_CORRUPT naming the field. */
export function checkActivationRecord(value: unknown, file: string): ActivationRecord {
  const damaged = (why: string) => new LicenseError('STATE_CORRUPT', `${file} is damaged: ${why}; deactivate with --local-only and activate again`);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw damaged('it does not hold a JSON object');
  const v = value as Record<string, unknown>;
  const out: Partial<ActivationRecord> = {};
  for (const field of ACTIVATION_FIELDS) {
    const s = Object.prototype.hasOwnProperty.call(v, field) ? v[field] : undefined;
    if (typeof s !== 'string' || s.length === 0) throw damaged(`field "${field}" is ${s === undefined ? 'missing' : 'not a non-empty string'}`);
    if (field !== 'vendor_key_pem' && (s.length > FIELD_MAX_CHARS || !PRINTABLE_RE.test(s))) throw damaged(`field "${field}" is too long or holds control characters`);
    out[field] = s;
  }
  const r = out as ActivationRecord;
  if (!isServerUrl(r.server)) throw damaged('field "server" is not an http(s) URL');
  if (!KEY_HINT_RE.test(r.key_hint)) throw damaged('field "key_hint" is not the end of a license key');
  if (!HEX64_RE.test(r.vendor_key_id)) throw damaged('field "vendor_key_id" is not 64 hex digits');
  if (Number.isNaN(Date.parse(r.activated_at))) throw damaged('field "activated_at" is not a time');
  let keyId: string;
  try {
    keyId = publicKeyId(importPublicKeyPem(r.vendor_key_pem));
  } catch {
    throw damaged('field "vendor_key_pem" is not an Ed25519 public key');
  }
  if (keyId !== r.vendor_key_id) throw damaged('the pinned vendor key does not match its id');
  return r;
}

export function isServerUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}

/** activation.json, checked; undefined when this agent folder has none. */
export function readActivation(agentDir: string): ActivationRecord | undefined {
  const file = licenseStatePaths(agentDir).activation;
  const bytes = readStateFile(file);
  if (bytes === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new LicenseError('STATE_CORRUPT', `${file} is damaged: it is not JSON text (${bytes.length} bytes); deactivate with --local-only and activate again`);
  }
  return checkActivationRecord(parsed, file);
}

/**
 * license.json, parsed and shape-checked (its signature is checked by checkLicense); undefined when
 * there is none.
 */
export function readLicenseFile(agentDir: string): LicenseFile | undefined {
  const file = licenseStatePaths(agentDir).license;
  const bytes = readStateFile(file);
  if (bytes === undefined) return undefined;
  const parsed = parseLicenseFileText(bytes);
  if (!parsed.ok) throw new LicenseError('STATE_CORRUPT', `${file} is damaged: ${parsed.reason}; run "vigil license refresh" to fetch a new one`);
  return parsed.file;
}

function ensureStateDir(agentDir: string): string {
  ensureAgentDir(agentDir);
  const dir = licenseStatePaths(agentDir).dir;
  return ensureAgentDir(dir);
}

function writeState(file: string, text: string): void {
  try {
    writeFileAtomic(file, text, STATE_FILE_MODE);
  } catch (e) {
    throw new LicenseError('STATE_IO', `cannot write ${file}: ${(e as Error).message}`, undefined, { cause: e });
  }
}

export function writeActivation(agentDir: string, record: ActivationRecord): void {
  const paths = licenseStatePaths(agentDir);
  checkActivationRecord(record, paths.activation);
  wrapIo(paths.dir, () => ensureStateDir(agentDir));
  const ordered = Object.fromEntries(ACTIVATION_FIELDS.map((f) => [f, record[f]]));
  writeState(paths.activation, `${JSON.stringify(ordered, null, 2)}\n`);
}

export function writeLicenseFile(agentDir: string, file: LicenseFile): void {
  const paths = licenseStatePaths(agentDir);
  wrapIo(paths.dir, () => ensureStateDir(agentDir));
  writeState(paths.license, formatLicenseFile(file));
}

/** Removes the license folder (both files and anything a crash left aside). */
export function removeLicenseState(agentDir: string): void {
  const { dir } = licenseStatePaths(agentDir);
  wrapIo(dir, () => rmSync(dir, { recursive: true, force: true }));
  syncFolder(agentDir);
}

function wrapIo<T>(where: string, work: () => T): T {
  try {
    return work();
  } catch (e) {
    if (e instanceof LicenseError) throw e;
    throw new LicenseError('STATE_IO', `cannot use ${where}: ${(e as Error).message}`, undefined, { cause: e });
  }
}
