/**
 * The machine fingerprint that activation binds to a seat and that a license file names.
 *
 *     fingerprint = hex SHA-256("vigil-machine-v1\n" + machine id)
 *
 * The machine id is the systemd/D-Bus machine id (machine-id(5)): the first of /etc/machine-id and
 * /var/lib/dbus/machine-id that holds one (32 hex digits, trimmed). It is a random number written
 * once when the operating system is installed, so:
 * - it is stable across reboots, upgrades and hardware changes;
 * - it is not personal data: it says nothing about the person, the hardware or the network, and the
 *   hash (with a prefix of its own) does not even reveal the id to the vendor, who could otherwise
 *   match it against other software that reports it;
 * - it changes when the OS is reinstalled or the id is regenerated (cloned VM images should do so),
 *   and that is the intended meaning of "a new machine": activate again.
 * Nothing else goes in: no hostname, user names, MAC addresses, disk or board serial numbers. Those
 * change for reasons unrelated to the machine (renames, new network cards, VPN adapters), some
 * identify a person or a device worldwide, and none is needed.
 *
 * Where there is no machine id (macOS, Windows, containers with an empty /etc/machine-id), a random
 * 128-bit id is generated once and kept in `fallbackFile` (owner-only), so the fingerprint is stable
 * across restarts; it is per user there, unless every user names the same file. Containers started
 * from one image that bakes in /etc/machine-id share it, and so share a fingerprint.
 */
import { VigilError } from '../../protocol/index.js';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, closeSync, fsyncSync, linkSync, mkdirSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** Domain separation and version, hashed before the machine id. */
export const MACHINE_FINGERPRINT_PREFIX = 'vigil-machine-v1\n';
/** Where the machine id is looked for, in order (machine-id(5)). */
export const DEFAULT_MACHINE_ID_FILES: readonly string[] = ['/etc/machine-id', '/var/lib/dbus/machine-id'];
/** Bytes read from a machine id file at most (the id is 33 with its newline). */
const MACHINE_ID_MAX_READ_BYTES = 1024;
/** machine-id(5): 32 lowercase hex digits (upper case tolerated); "uninitialized" and empty files do not match. */
const MACHINE_ID_RE = /^[0-9a-fA-F]{32}$/;

export interface MachineFingerprintOptions {
  /** Files that may hold the machine id, tried in order. Default DEFAULT_MACHINE_ID_FILES. */
  machineIdFiles?: readonly string[];
  /** Where a generated id is kept when no machine id is found. Default defaultFallbackFile(). */
  fallbackFile?: string;
}

export interface MachineFingerprint {
  /** 64 lowercase hex digits. */
  fingerprint: string;
  /** 'machine-id': from the OS; 'generated': from fallbackFile (created on first use). */
  source: 'machine-id' | 'generated';
}

export type MachineFingerprintErrorCode = 'FALLBACK_INVALID' | 'FALLBACK_IO';

export class MachineFingerprintError extends VigilError {
  constructor(
    readonly code: MachineFingerprintErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'MachineFingerprintError';
  }
}

/** VIGIL_STATE_DIR, XDG_STATE_HOME/vigil or ~/.local/state/vigil, then `machine-id`. */
export function defaultFallbackFile(env: NodeJS.ProcessEnv = process.env): string {
  if (env['VIGIL_STATE_DIR']) return join(env['VIGIL_STATE_DIR'], 'machine-id');
  if (env['XDG_STATE_HOME']) return join(env['XDG_STATE_HOME'], 'vigil', 'machine-id');
  return join(homedir(), '.local', 'state', 'vigil', 'machine-id');
}

/**
 * This machine's fingerprint (see the module comment). Throws MachineFingerprintError when there is
 * no machine id and the fallback file cannot be read or created, or holds something else than an id.
 */
export function machineFingerprint(options: MachineFingerprintOptions = {}): MachineFingerprint {
  for (const file of options.machineIdFiles ?? DEFAULT_MACHINE_ID_FILES) {
    const id = readId(file);
    if (id !== null && MACHINE_ID_RE.test(id)) return { fingerprint: hashId(id), source: 'machine-id' };
  }
  return { fingerprint: hashId(fallbackId(options.fallbackFile ?? defaultFallbackFile())), source: 'generated' };
}

const hashId = (id: string): string => createHash('sha256').update(MACHINE_FINGERPRINT_PREFIX + id, 'utf8').digest('hex');

/** The trimmed start of `file` (at most MACHINE_ID_MAX_READ_BYTES); throws the file system's error. */
function readStart(file: string): string {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(MACHINE_ID_MAX_READ_BYTES);
    return buf.subarray(0, readSync(fd, buf, 0, buf.length, 0)).toString('latin1').trim();
  } finally {
    closeSync(fd);
  }
}

/** The trimmed start of `file`, or null when it cannot be read (missing, a folder, no permission). */
function readId(file: string): string | null {
  try {
    return readStart(file);
  } catch {
    return null;
  }
}

/** The id kept in `file`, created there (0600, folder 0700) on first use. */
function fallbackId(file: string): string {
  const existing = readExisting(file);
  if (existing !== null) return existing;
  const id = randomBytes(16).toString('hex');
  let aside: string | undefined;
  try {
    const made = mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    if (made !== undefined) chmodSync(dirname(file), 0o700); // whatever the umask
    // Written aside, then linked: linking fails if the file exists, so two processes starting at
    // once agree on one id, and nobody ever reads a half-written file.
    aside = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    const fd = openSync(aside, 'wx', 0o600);
    try {
      chmodSync(aside, 0o600);
      writeSync(fd, `${id}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    linkSync(aside, file);
    return id;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      const winner = readExisting(file);
      if (winner !== null) return winner;
    }
    throw new MachineFingerprintError('FALLBACK_IO', `cannot create the machine id file ${file}: ${(e as Error).message}`, { cause: e });
  } finally {
    if (aside !== undefined) {
      try {
        unlinkSync(aside);
      } catch {
        // never created, or already gone
      }
    }
  }
}

/** The id in `file`; null when there is no such file. */
function readExisting(file: string): string | null {
  let text: string;
  try {
    text = readStart(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new MachineFingerprintError('FALLBACK_IO', `cannot read the machine id file ${file}: ${(e as Error).message}`, { cause: e });
  }
  if (!MACHINE_ID_RE.test(text)) {
    // Never replaced silently: a new id is a new machine, which needs activating again.
    throw new MachineFingerprintError('FALLBACK_INVALID', `${file} does not hold a machine id (32 hex digits); delete it to make a new one (this machine will then need activating again)`);
  }
  return text;
}
