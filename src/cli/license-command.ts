/**
 * `vigil license activate|status|refresh|deactivate`: this machine's license. Status works offline;
 * the others talk to the vendor's license server. Scanning never needs a license.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Command } from 'commander';
import { activateLicense, agentDirPath, checkLicense, deactivateLicense, refreshLicense, type LicenseVerdict, type PolicyDecision } from '../agent/index.js';
import { checkLicenseKey } from '../protocol/index.js';
import { UsageError } from './exit-codes.js';
import {
  EXIT_LICENSE_OK,
  EXIT_LICENSE_UNUSABLE,
  formatLicense,
  printNotices,
  reportLicenseError,
  verdictJson,
  type LicenseAction,
} from './license-report.js';

interface CommonFlags {
  agentDir?: string;
  json?: boolean;
}

/** The largest vendor key file read, in bytes (an Ed25519 SPKI PEM is 113). */
const VENDOR_KEY_MAX_BYTES = 16 * 1024;
/** The server keeps machine names up to 100 characters. */
const MACHINE_NAME_MAX_CHARS = 100;

const AGENT_DIR_HELP = "the agent's data folder (default: VIGIL_AGENT_DIR, $XDG_DATA_HOME/vigil or ~/.local/share/vigil)";
const EXIT_HELP = `
Exit codes: 0 done (the license is valid or in its grace period), 1 no usable license or the server
refused (unknown key, no free seat, revoked, rate limited), 2 usage or connection errors, 3 a
jurisdiction rule stopped it (the license file kept stays in place; scanning goes on).`;

const out = (text: string) => process.stdout.write(`${text}\n`);

function readVendorKey(file: string): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw new UsageError(`--vendor-key: cannot read ${file}: ${(e as Error).message}`);
  }
  try {
    const buf = Buffer.alloc(VENDOR_KEY_MAX_BYTES + 1);
    const n = readSync(fd, buf, 0, buf.length, 0);
    if (n > VENDOR_KEY_MAX_BYTES) throw new UsageError(`--vendor-key: ${file} is larger than a public key (over ${VENDOR_KEY_MAX_BYTES} bytes)`);
    return buf.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

function defaultMachineName(): string {
  const name = hostname().trim().slice(0, MACHINE_NAME_MAX_CHARS);
  return name === '' ? 'unnamed machine' : name;
}

function countryOption(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const code = value.trim().toUpperCase();
  if (!/^[A-Z]{2}(-[A-Z0-9]{1,3})?$/.test(code)) throw new UsageError(`--location: expected a country code such as DE or US-CA, got '${value}'`);
  return code;
}

/** Prints the verdict after an action and returns the exit code it calls for. */
function finish(verdict: LicenseVerdict, json: boolean, extra: Record<string, unknown>, head: string[], notices: { list: PolicyDecision[]; about: string } = { list: [], about: '' }): number {
  if (json) {
    out(JSON.stringify({ ...extra, ...verdictJson(verdict) }));
  } else {
    for (const line of head) out(line);
    printNotices(notices.list, notices.about);
    for (const line of formatLicense(verdict)) out(line);
  }
  return verdict.ok ? EXIT_LICENSE_OK : EXIT_LICENSE_UNUSABLE;
}

async function run(action: LicenseAction, json: boolean | undefined, work: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await work();
  } catch (e) {
    process.exitCode = reportLicenseError(e, action, json ?? false);
  }
}

export function registerLicenseCommand(program: Command): void {
  const license = program
    .command('license')
    .description("this machine's license: activate it with a key, show it, refresh it, free its seat (scanning never needs one)");

  license
    .command('activate')
    .description('activate this machine with a license key; saves its signed license file in the agent folder')
    .argument('<key>', 'the license key, e.g. VGL-7K3QM-X9TAE-0R4WD-NB2ZH-5GCPF (its checksum is checked before anything is sent)')
    .option('--server <url>', "the vendor's license server (or VIGIL_LICENSE_SERVER)")
    .option('--name <machine>', 'the name your license administrator sees for this machine (default: the host name)')
    .option('--vendor-key <pem-file>', "the vendor's public key (PEM) that verifies license files; without it, the key the server sends is trusted on first use")
    .option('--location <country>', 'the country you are in (ISO 3166 code), when the server cannot tell from your address')
    .option('--agent-dir <dir>', AGENT_DIR_HELP)
    .option('--json', 'print the result as one JSON object')
    .addHelpText(
      'after',
      `
Trust: license files are verified with the vendor's public key, which is pinned in the agent folder
at activation. With --vendor-key FILE the key you give is pinned (get it from your vendor through a
channel you trust). Without it, the key the server sends during this activation is pinned: trust on
first use, which someone able to intercept this first connection could abuse. Later activations
for the same server keep the pinned key.
${EXIT_HELP}`,
    )
    .action((key: string, flags: CommonFlags & { server?: string; name?: string; vendorKey?: string; location?: string }) =>
      run('activate', flags.json, async () => {
        const server = flags.server ?? process.env['VIGIL_LICENSE_SERVER'];
        if (!server) {
          const checked = checkLicenseKey(key); // a mistyped key is the first thing to hear about
          if (checked.ok) throw new UsageError('which license server? give --server URL (or set VIGIL_LICENSE_SERVER)');
        }
        const name = flags.name?.trim() ?? defaultMachineName();
        if (name === '' || name.length > MACHINE_NAME_MAX_CHARS) throw new UsageError(`--name: give 1 to ${MACHINE_NAME_MAX_CHARS} characters`);
        const location = countryOption(flags.location);
        const agentDir = agentDirPath(flags.agentDir);
        const done = await activateLicense({
          agentDir,
          key,
          server: server ?? '',
          machineName: name,
          ...(flags.vendorKey === undefined ? {} : { vendorKeyPem: readVendorKey(flags.vendorKey) }),
          ...(location === undefined ? {} : { declaredLocation: location }),
        });
        const verdict = checkLicense(agentDir, { now: new Date() });
        const head = [
          `Activated this machine ("${done.activation.machine_name}") with the license key ending ${done.activation.key_hint}: activation ${done.activation.activation_id}${done.reusedSeat ? ' (the seat it already held)' : ''}.`,
        ];
        if (done.vendorKey === 'server') {
          head.push(`Pinned the vendor key the server sent (key id ${done.activation.vendor_key_id.slice(0, 16)}…): trust on first use. To pin a key you got from the vendor instead, activate with --vendor-key FILE.`);
        }
        head.push(`Saved in ${agentDir}.`);
        const extra = { activation_id: done.activation.activation_id, reused_seat: done.reusedSeat, vendor_key: { source: done.vendorKey, key_id: done.activation.vendor_key_id }, notices: done.notices };
        return finish(verdict, flags.json ?? false, extra, head, { list: done.notices, about: 'activating this license' });
      }),
    );

  license
    .command('status')
    .description("show this machine's license, offline: holder, product, entitlements, seats, dates and whether it is valid here")
    .option('--agent-dir <dir>', AGENT_DIR_HELP)
    .option('--json', 'print the result as one JSON object')
    .addHelpText('after', `\nExit codes: 0 the license is valid or in its grace period, 1 it is not (none, expired, another\nmachine's, altered or damaged), 2 usage errors.`)
    .action((flags: CommonFlags) =>
      run('status', flags.json, async () => finish(checkLicense(agentDirPath(flags.agentDir), { now: new Date() }), flags.json ?? false, {}, [])),
    );

  license
    .command('refresh')
    .description("check in with the license server for a fresh license file (the old one stays if anything goes wrong)")
    .option('--location <country>', 'the country you are in (ISO 3166 code), when the server cannot tell from your address')
    .option('--agent-dir <dir>', AGENT_DIR_HELP)
    .option('--json', 'print the result as one JSON object')
    .addHelpText('after', EXIT_HELP)
    .action((flags: CommonFlags & { location?: string }) =>
      run('refresh', flags.json, async () => {
        const location = countryOption(flags.location);
        const agentDir = agentDirPath(flags.agentDir);
        const done = await refreshLicense({ agentDir, ...(location === undefined ? {} : { declaredLocation: location }) });
        const verdict = checkLicense(agentDir, { now: new Date() });
        const head = [`Refreshed the license file: valid until ${done.license.payload.valid_until}.`];
        return finish(verdict, flags.json ?? false, { notices: done.notices }, head, { list: done.notices, about: 'refreshing this license' });
      }),
    );

  license
    .command('deactivate')
    .description("free this machine's seat on the license server, then remove the license files from the agent folder")
    .option('--local-only', 'only remove the local files, without the server (when it cannot be reached); the seat stays in use until your license administrator frees it')
    .option('--agent-dir <dir>', AGENT_DIR_HELP)
    .option('--json', 'print the result as one JSON object')
    .addHelpText('after', EXIT_HELP)
    .action((flags: CommonFlags & { localOnly?: boolean }) =>
      run('deactivate', flags.json, async () => {
        const agentDir = agentDirPath(flags.agentDir);
        const done = await deactivateLicense({ agentDir, localOnly: flags.localOnly ?? false });
        const a = done.activation;
        if (flags.json) {
          out(JSON.stringify({ ok: true, local_only: flags.localOnly ?? false, activation_id: a?.activation_id ?? null, deactivated_at: done.deactivatedAt ?? null }));
        } else if (flags.localOnly) {
          out(`Removed the license files from ${agentDir} without telling the server: the seat${a ? ` (activation ${a.activation_id})` : ''} stays in use until your license administrator frees it.`);
        } else {
          out(`Deactivated this machine: the seat it held on the license key ending ${a!.key_hint} is free again (activation ${a!.activation_id}, ended ${done.deactivatedAt!}).`);
          out(`Removed the license files from ${agentDir}.`);
        }
        return EXIT_LICENSE_OK;
      }),
    );
}
