/**
 * The user's consent to the security network, kept in `<agent dir>/network/consent.json` (0600,
 * replaced atomically). Nothing is sent to the network unless this file says `enabled` with the
 * category of the data, and every sender reads it again before each request, so withdrawing consent
 * (which writes it first, before telling the cloud) stops sending from the next request on.
 *
 * The record says who gave consent (the activation, the machine's name and the local user, which
 * stay on this machine), when, for which categories, what the cloud recorded, and when and whether
 * it was withdrawn on the cloud.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { ensureAgentDir } from '../agent-dir.js';
import { writeFileAtomic } from '../atomic-file.js';
import { isConsentCategory, type ConsentCategory } from '../../protocol/index.js';
import { NetworkError } from './network-error.js';

export const NETWORK_DIR = 'network';
export const CONSENT_FILE = 'consent.json';
export const CONSENT_FORMAT = 'vigil-network-consent-v1';
/** Mode of the network files: owner only. */
export const NETWORK_FILE_MODE = 0o600;
const CONSENT_MAX_BYTES = 64 * 1024;

// What the agent may send: detections, and (separately) executables it found nothing in
// (protocol/network-consent.ts, shared with the cloud).
export { CONSENT_CATEGORIES, type ConsentCategory } from '../../protocol/index.js';

export interface ConsentRecord {
  format: typeof CONSENT_FORMAT;
  enabled: boolean;
  categories: ConsentCategory[];
  /** When consent was last given on this machine (ISO 8601). */
  given_at: string | null;
  /** When the cloud recorded it (its `recorded_at`). */
  cloud_recorded_at: string | null;
  /** When it was withdrawn on this machine; null while enabled. */
  withdrawn_at: string | null;
  /** Whether the cloud confirmed the withdrawal; false: it could not be reached yet. */
  withdrawn_on_cloud: boolean | null;
  /** Who: the activation that gave it, the machine's name, the local user (never sent). */
  activation_id: string | null;
  machine_name: string | null;
  local_user: string | null;
}

export function networkDir(agentDir: string): string {
  return join(agentDir, NETWORK_DIR);
}

export function consentPath(agentDir: string): string {
  return join(networkDir(agentDir), CONSENT_FILE);
}

/** Creates `<agent dir>/network` owner-only and returns it. */
export function ensureNetworkDir(agentDir: string): string {
  try {
    ensureAgentDir(agentDir);
    return ensureAgentDir(networkDir(agentDir));
  } catch (e) {
    throw new NetworkError('STATE_IO', `cannot create ${networkDir(agentDir)}: ${(e as Error).message}`, undefined, { cause: e });
  }
}

/** consent.json, checked; undefined when the user never chose (which means: nothing is sent). */
export function readConsent(agentDir: string): ConsentRecord | undefined {
  const file = consentPath(agentDir);
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw new NetworkError('STATE_IO', `cannot read ${file}: ${(e as Error).message}`, undefined, { cause: e });
  }
  let text: string;
  try {
    const size = fstatSync(fd).size;
    if (size > CONSENT_MAX_BYTES) throw damaged(file, `${size} bytes`);
    const buf = Buffer.alloc(size);
    let got = 0;
    while (got < size) {
      const n = readSync(fd, buf, got, size - got, got);
      if (n === 0) break;
      got += n;
    }
    text = buf.subarray(0, got).toString('utf8');
  } finally {
    closeSync(fd);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw damaged(file, 'not JSON');
  }
  return checkConsent(parsed, file);
}

function damaged(file: string, why: string): NetworkError {
  return new NetworkError('STATE_CORRUPT', `${file} is damaged (${why}); run "vigil network disable" or "vigil network enable" to write it again`);
}

const ISO_OR_NULL = (v: unknown) => v === null || (typeof v === 'string' && !Number.isNaN(Date.parse(v)));
const TEXT_OR_NULL = (v: unknown) => v === null || (typeof v === 'string' && v.length <= 256);

function checkConsent(value: unknown, file: string): ConsentRecord {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw damaged(file, 'not a JSON object');
  const v = value as Record<string, unknown>;
  if (v['format'] !== CONSENT_FORMAT) throw damaged(file, `format is not ${CONSENT_FORMAT}`);
  if (typeof v['enabled'] !== 'boolean') throw damaged(file, '"enabled" is not true or false');
  const cats = v['categories'];
  if (!Array.isArray(cats) || !cats.every(isConsentCategory)) throw damaged(file, '"categories" is not a list of known categories');
  for (const f of ['given_at', 'cloud_recorded_at', 'withdrawn_at'] as const) if (!ISO_OR_NULL(v[f] ?? null)) throw damaged(file, `"${f}" is not a time`);
  for (const f of ['activation_id', 'machine_name', 'local_user'] as const) if (!TEXT_OR_NULL(v[f] ?? null)) throw damaged(file, `"${f}" is not text`);
  const w = v['withdrawn_on_cloud'] ?? null;
  if (w !== null && typeof w !== 'boolean') throw damaged(file, '"withdrawn_on_cloud" is not true, false or null');
  return {
    format: CONSENT_FORMAT,
    enabled: v['enabled'],
    categories: [...new Set(cats)],
    given_at: (v['given_at'] ?? null) as string | null,
    cloud_recorded_at: (v['cloud_recorded_at'] ?? null) as string | null,
    withdrawn_at: (v['withdrawn_at'] ?? null) as string | null,
    withdrawn_on_cloud: w,
    activation_id: (v['activation_id'] ?? null) as string | null,
    machine_name: (v['machine_name'] ?? null) as string | null,
    local_user: (v['local_user'] ?? null) as string | null,
  };
}

export function writeConsent(agentDir: string, record: ConsentRecord): void {
  const file = consentPath(agentDir);
  checkConsent(record, file);
  ensureNetworkDir(agentDir);
  try {
    writeFileAtomic(file, `${JSON.stringify(record, null, 2)}\n`, NETWORK_FILE_MODE);
  } catch (e) {
    throw new NetworkError('STATE_IO', `cannot write ${file}: ${(e as Error).message}`, undefined, { cause: e });
  }
}

/** Whether `consent` lets the agent send data of `category` now. */
export function allows(consent: ConsentRecord | undefined, category: ConsentCategory): boolean {
  return consent !== undefined && consent.enabled && consent.categories.includes(category);
}
