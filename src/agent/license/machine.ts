/**
 * Which machine this is, for activation and for checking a license file. The machine id comes from
 * the operating system (fingerprint.ts); VIGIL_MACHINE_ID_FILE names another file that holds it, for
 * containers that mount the host's id elsewhere and for tests that play several machines. Naming a
 * file does not weaken anything: whoever can set the variable can also edit /etc/machine-id.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { machineFingerprint, type MachineFingerprint } from './fingerprint.js';
import { LicenseError } from './license-error.js';

/** machine-id(5): 32 hex digits. */
const MACHINE_ID_RE = /^[0-9a-fA-F]{32}$/;
/** Bytes read from the named file at most. */
const MACHINE_ID_MAX_READ_BYTES = 1024;

/** The first bytes of `file`, trimmed (a machine id is 33 bytes with its newline). */
function readStart(file: string): string {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(MACHINE_ID_MAX_READ_BYTES);
    return buf.subarray(0, readSync(fd, buf, 0, buf.length, 0)).toString('latin1').trim();
  } finally {
    closeSync(fd);
  }
}

export function thisMachine(env: NodeJS.ProcessEnv = process.env): MachineFingerprint {
  const file = env['VIGIL_MACHINE_ID_FILE'];
  try {
    if (!file) return machineFingerprint();
    let text: string;
    try {
      text = readStart(file);
    } catch (e) {
      throw new Error(`VIGIL_MACHINE_ID_FILE names ${file}, which cannot be read: ${(e as Error).message}`, { cause: e });
    }
    // Checked here, so that a wrong file is an error rather than a silent switch to a generated id.
    if (!MACHINE_ID_RE.test(text)) throw new Error(`VIGIL_MACHINE_ID_FILE names ${file}, which does not hold a machine id (32 hex digits)`);
    return machineFingerprint({ machineIdFiles: [file] });
  } catch (e) {
    throw new LicenseError('MACHINE', `cannot tell which machine this is: ${(e as Error).message}`, undefined, { cause: e });
  }
}
