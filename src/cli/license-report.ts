/**
 * What `vigil license` prints: the license as this machine holds it, the plain-words notice of a
 * jurisdiction decision, and every licensing error in words a user can act on, with its exit code
 * (the one place licensing errors become numbers).
 */
import { describeAction, LicenseError, type LicenseVerdict, type PolicyDecision } from '../agent/index.js';
import { EXIT_CLEAN, EXIT_ERROR, EXIT_FOUND, EXIT_POLICY_DENIED, reportError } from './exit-codes.js';

/** 0: valid or in grace (and every successful action). */
export const EXIT_LICENSE_OK = EXIT_CLEAN;
/** 1: no usable license, or the server refused (unknown key, no free seat, revoked, rate limited). */
export const EXIT_LICENSE_UNUSABLE = EXIT_FOUND;
/** 2: usage errors, and errors talking to the server or using local files (EXIT_ERROR). */
export const EXIT_LICENSE_ERROR = EXIT_ERROR;
/** 3: a jurisdiction rule stopped it; the license file kept stays in place. */
export { EXIT_POLICY_DENIED };

/** What the command was doing, for the words around an error. */
export type LicenseAction = 'activate' | 'refresh' | 'deactivate' | 'status';

const out = (text: string) => process.stdout.write(`${text}\n`);
const err = (text: string) => process.stderr.write(`${text}\n`);

/** The status block: what the license says and where this machine stands. */
export function formatLicense(v: LicenseVerdict): string[] {
  const lines: string[] = [];
  const row = (label: string, value: string) => lines.push(`${`${label}:`.padEnd(18)}${value}`);
  const p = v.payload;
  const a = v.activation;
  if (p) {
    row('License', `VGL-…-${p.key_hint} (${p.license_id})`);
    row('Holder', p.holder_name === '' ? p.holder_tenant : `${p.holder_name} (${p.holder_tenant})`);
    row('Product', `${p.product}, plan ${p.plan}`);
    row('Entitlements', p.entitlements.length === 0 ? 'none' : p.entitlements.join(', '));
    row('Seats', String(p.seats));
  } else if (a) {
    row('License', `VGL-…-${a.key_hint}`);
  }
  if (a) row('This machine', `${a.machine_name} (activation ${a.activation_id}${v.machine ? `, fingerprint ${v.machine.fingerprint.slice(0, 16)}…` : ''})`);
  if (a) row('Server', a.server);
  if (p) {
    row('File valid until', `${p.valid_until} (issued ${p.issued_at})`);
    row('License expires', p.license_expires_at);
    row('Grace until', p.grace_until);
  }
  row('Status', `${v.state.replace(/_/g, ' ')}: ${v.message}`);
  return lines;
}

/** The verdict as JSON (never the secret or the key). */
export function verdictJson(v: LicenseVerdict): Record<string, unknown> {
  return {
    ok: v.ok,
    state: v.state,
    message: v.message,
    days_left: v.daysLeft,
    license: v.payload ?? null,
    activation: v.activation ?? null,
    machine: v.machine ?? null,
  };
}

const ATTRIBUTE_WORDS = { location: 'where this request came from', person: "the license holder's country" } as const;

/** A jurisdiction decision in plain words: what stopped (or what the notice is about), since when, why, the reference. */
export function formatDecision(d: PolicyDecision, fallbackAction: string): string[] {
  const lines = [`  ${d.decision === 'deny' ? 'What stopped' : 'About'}:`.padEnd(16) + describeAction(d.action, fallbackAction)];
  const row = (label: string, value: string | undefined) => value !== undefined && lines.push(`  ${label}:`.padEnd(16) + value);
  row('Since', d.since);
  row('Why', d.reason);
  row('Reference', d.reference);
  if (d.jurisdiction) row('Applies', `${d.jurisdiction}, by ${d.attribute ? ATTRIBUTE_WORDS[d.attribute] : 'jurisdiction'}${d.rule ? ` (rule ${d.rule.id} v${d.rule.version})` : ''}`);
  return lines;
}

export function printNotices(notices: PolicyDecision[], fallbackAction: string): void {
  for (const n of notices) {
    out('Notice from the vendor (this does not stop anything):');
    for (const line of formatDecision(n, fallbackAction)) out(line);
  }
}

const DOING: Record<LicenseAction, string> = {
  activate: 'activate this machine',
  refresh: "refresh this machine's license file",
  deactivate: 'deactivate this machine',
  status: 'check the license',
};

/** What stays true after a failed action, said after the error. */
const AFTERWARDS: Record<LicenseAction, string> = {
  activate: 'Nothing was saved. Scanning works without a license, with the signature database installed.',
  refresh: 'The license file you have was kept, and scanning goes on with the last signature database installed.',
  deactivate: 'Nothing was removed. If the server stays out of reach, "vigil license deactivate --local-only" removes the local files (the seat then stays in use until your license administrator frees it).',
  status: '',
};

function waitWords(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} minutes`;
  return `${Math.round(seconds / 3600)} hours`;
}

/** Prints `e` for `action` and returns the exit code. With `json`, also one JSON object on stdout. */
export function reportLicenseError(e: unknown, action: LicenseAction, json: boolean): number {
  if (!(e instanceof LicenseError)) return reportError(e);
  const s = e.server;
  let code: number = EXIT_LICENSE_UNUSABLE;
  let lines: string[];
  switch (e.code) {
    case 'POLICY_DENIED':
      code = EXIT_POLICY_DENIED;
      lines = [`Vigil could not ${DOING[action]}: a jurisdiction rule stops it.`, ...(s?.decision ? formatDecision(s.decision, 'this license action') : [`  Why:`.padEnd(16) + e.message])];
      break;
    case 'INVALID_KEY':
      code = EXIT_LICENSE_ERROR;
      lines = [`ERROR: ${e.message}. Nothing was sent to the server; check the key against your order confirmation.`];
      break;
    case 'NOT_FOUND':
      lines = [
        action === 'activate'
          ? 'ERROR: the license server does not know this license key; check it against your order confirmation, and that --server names your vendor\'s license server.'
          : `ERROR: the license server does not know this machine's activation (it was removed, or this is another server); activate again, or remove the local files with "vigil license deactivate --local-only".`,
      ];
      break;
    case 'NO_FREE_SEAT':
      lines = [`ERROR: no free seat: ${e.message}.`, '  Free one with "vigil license deactivate" on a machine that no longer needs it, or ask your license administrator.'];
      break;
    case 'LICENSE_UNUSABLE':
      lines = [`ERROR: the license server refused: ${e.message}.`];
      break;
    case 'RATE_LIMITED': {
      const wait = s?.retryAfterSeconds;
      const when = wait === undefined ? 'later' : `in ${waitWords(wait)} (after ${new Date(Date.now() + wait * 1000).toISOString()})`;
      lines = [`ERROR: the license server asks to wait: ${e.message}.`, `  Try again ${when}.`];
      break;
    }
    case 'NOT_ACTIVATED':
    case 'ALREADY_ACTIVATED':
    case 'WRONG_MACHINE':
    case 'UNTRUSTED_FILE':
    case 'STATE_CORRUPT':
      lines = [`ERROR: ${e.message}.`];
      break;
    case 'UNREACHABLE':
    case 'TIMEOUT':
      code = EXIT_LICENSE_ERROR;
      lines = [`ERROR: ${e.message}; check the address and this machine's network connection.`];
      break;
    default:
      // BAD_SERVER_URL, VENDOR_KEY, STATE_IO, MACHINE, BAD_RESPONSE, INVALID_REQUEST, SERVER_ERROR
      code = EXIT_LICENSE_ERROR;
      lines = [`ERROR: ${e.message}${s?.retryAfterSeconds !== undefined ? `; try again in ${waitWords(s.retryAfterSeconds)}` : ''}.`];
      for (const d of s?.details ?? []) lines.push(`  ${d.path}: ${d.message}`);
  }
  const afterwards = e.code === 'INVALID_KEY' || e.code === 'NOT_ACTIVATED' || e.code === 'WRONG_MACHINE' ? '' : AFTERWARDS[action];
  if (afterwards) lines.push(afterwards);
  for (const line of lines) err(line);
  if (json) {
    const error = { code: e.code, message: e.message, ...(s ? { server: s } : {}) };
    out(JSON.stringify({ ok: false, error }));
  }
  return code;
}
