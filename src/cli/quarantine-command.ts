/**
 * `vigil quarantine list|show|restore|delete`: the files `vigil scan --quarantine` and `vigil watch
 * --move-to-quarantine` took away, kept encrypted in the agent folder (docs/quarantine.md).
 */
import type { Command } from 'commander';
import { agentDirPath, Quarantine, QuarantineError, type EntryHeader, type RecoveryReport } from '../agent/index.js';
import { EXIT_CLEAN as EXIT_OK, EXIT_ERROR, reportError } from './exit-codes.js';

// Exit (exit-codes.ts): 0 done; 2 usage errors, missing, malformed or tampered entries, restore refused.

const AGENT_DIR_HELP = "the agent's data folder, which holds the quarantine (default: VIGIL_AGENT_DIR, $XDG_DATA_HOME/vigil or ~/.local/share/vigil)";
const ID_HELP = 'the entry id from "vigil quarantine list" (or a unique prefix of at least 4 digits)';

interface CommonFlags {
  agentDir?: string;
  json?: boolean;
}

const out = (text: string) => process.stdout.write(`${text}\n`);
const err = (text: string) => process.stderr.write(`${text}\n`);

/** Prints an error of the quarantine (it names the entry and says why) and returns the exit code. */
export function reportQuarantineError(e: unknown): number {
  if (e instanceof QuarantineError) {
    err(`ERROR: ${e.message}`);
    return EXIT_ERROR;
  }
  return reportError(e);
}

/** Says what the recovery at opening did, on stderr. */
export function reportRecovery(r: RecoveryReport): void {
  const settled = r.completed.length + r.rolledBack.length;
  if (settled > 0) err(`vigil: settled ${settled} quarantine move(s) interrupted by a crash (${r.completed.length} completed, ${r.rolledBack.length} rolled back)`);
  for (const p of r.problems) err(`WARNING: ${p}`);
}

function openQuarantine(flags: CommonFlags): Quarantine {
  const q = Quarantine.open(agentDirPath(flags.agentDir));
  reportRecovery(q.recovery);
  return q;
}

async function run(action: () => number): Promise<void> {
  try {
    process.exitCode = action();
  } catch (e) {
    process.exitCode = reportQuarantineError(e);
  }
}

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]!}`;
}

function entryJson(h: EntryHeader): Record<string, unknown> {
  return {
    id: h.id, originalPath: h.originalPath, quarantinedAt: h.quarantinedAt, detections: h.detections, size: h.size,
    md5: h.md5, sha256: h.sha256, mode: `0${h.mode.toString(8).padStart(3, '0')}`, uid: h.uid, gid: h.gid,
  };
}

function listLines(entries: EntryHeader[]): string[] {
  const rows = entries.map((h) => [h.id, h.quarantinedAt.replace(/\.\d+Z$/, 'Z'), formatSize(h.size), h.detections.join(','), h.originalPath]);
  const head = ['ID', 'QUARANTINED', 'SIZE', 'DETECTION', 'ORIGINAL PATH'];
  const widths = head.map((t, i) => Math.max(t.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [line(head), ...rows.map(line)];
}

export function registerQuarantineCommand(program: Command): void {
  const quarantine = program
    .command('quarantine')
    .description('files taken away by scan --quarantine and watch --move-to-quarantine: list, show, restore, delete')
    .addHelpText('after', '\nQuarantined files are kept encrypted (AES-256-GCM) in the agent folder, with their original path,\nmode, owner, hashes and detection names. See docs/quarantine.md.');

  quarantine
    .command('list')
    .description('list the quarantined files, oldest first')
    .option('--json', 'print {"entries": [...], "problems": [...]} as one JSON object')
    .option('--agent-dir <dir>', AGENT_DIR_HELP)
    .addHelpText('after', '\nReads metadata only (no decryption): "show ID" verifies an entry.\nExit codes: 0 listed, 2 an entry is malformed (named on stderr; the others are listed) or other errors.')
    .action((flags: CommonFlags) =>
      run(() => {
        const { entries, problems } = openQuarantine(flags).list();
        if (flags.json) {
          out(JSON.stringify({ entries: entries.map(entryJson), problems: problems.map((p) => ({ entry: p.entry ?? null, code: p.code, message: p.message })) }));
        } else {
          if (entries.length === 0 && problems.length === 0) out('The quarantine is empty.');
          else if (entries.length > 0) for (const l of listLines(entries)) out(l);
        }
        for (const p of problems) err(`ERROR: ${p.message}`);
        return problems.length > 0 ? EXIT_ERROR : EXIT_OK;
      }),
    );

  quarantine
    .command('show')
    .description('show one entry and verify it: decrypt it (writing nothing), check its authentication tag and SHA-256')
    .argument('<id>', ID_HELP)
    .option('--json', 'print the entry as one JSON object, with "verified" and, when false, "problem"')
    .option('--agent-dir <dir>', AGENT_DIR_HELP)
    .addHelpText('after', '\nExit codes: 0 shown and verified, 2 missing, malformed, tampered or other errors.')
    .action((id: string, flags: CommonFlags) =>
      run(() => {
        const q = openQuarantine(flags);
        const { header: h, problem } = q.check(q.resolve(id));
        if (flags.json) {
          out(JSON.stringify({ ...entryJson(h), verified: problem === null, ...(problem ? { problem: { code: problem.code, message: problem.message } } : {}) }));
        } else {
          out(`ID:             ${h.id}`);
          out(`Original path:  ${h.originalPath}`);
          out(`Quarantined:    ${h.quarantinedAt}`);
          out(`Detections:     ${h.detections.join(', ')}`);
          out(`Size:           ${h.size} bytes`);
          out(`MD5:            ${h.md5}`);
          out(`SHA-256:        ${h.sha256}`);
          out(`Mode:           0${h.mode.toString(8).padStart(3, '0')}`);
          out(`Owner:          uid ${h.uid}, gid ${h.gid}`);
          out(`Integrity:      ${problem ? `FAILED (${problem.code})` : 'verified (authentication tag and SHA-256 match)'}`);
        }
        if (problem) err(`ERROR: ${problem.message}`);
        return problem ? EXIT_ERROR : EXIT_OK;
      }),
    );

  quarantine
    .command('restore')
    .description('put a quarantined file back (decrypted and verified), with its mode, and its owner when run as root')
    .argument('<id>', ID_HELP)
    .option('--to <path>', 'restore to this path instead of the original one (an existing folder receives the original name)')
    .option('--force', 'replace a file that exists at the target')
    .option('--keep', 'keep the entry in quarantine after restoring')
    .option('--agent-dir <dir>', AGENT_DIR_HELP)
    .addHelpText('after', '\nThe restored file is the file that was quarantined: a detection will find it again.\nExit codes: 0 restored, 2 the target exists (without --force), the entry is missing, malformed or\ntampered (nothing is written), or other errors.')
    .action((id: string, flags: CommonFlags & { to?: string; force?: boolean; keep?: boolean }) =>
      run(() => {
        const q = openQuarantine(flags);
        const r = q.restore(q.resolve(id), { ...(flags.to === undefined ? {} : { to: flags.to }), force: flags.force ?? false, keep: flags.keep ?? false });
        out(`Restored ${r.header.id} to ${r.path} (SHA-256 verified${r.ownerRestored ? ', mode and owner restored' : ', mode restored'})${flags.keep ? '; the entry is kept' : ''}.`);
        return EXIT_OK;
      }),
    );

  quarantine
    .command('delete')
    .description('delete quarantined files for good (no question asked)')
    .argument('<ids...>', ID_HELP)
    .option('--agent-dir <dir>', AGENT_DIR_HELP)
    .addHelpText('after', '\nExit codes: 0 all deleted, 2 an id was not found (the others are deleted) or other errors.')
    .action((ids: string[], flags: CommonFlags) =>
      run(() => {
        const q = openQuarantine(flags);
        let code = EXIT_OK;
        for (const given of ids) {
          try {
            const id = q.resolve(given);
            q.delete(id);
            out(`Deleted ${id}.`);
          } catch (e) {
            code = reportQuarantineError(e);
          }
        }
        return code;
      }),
    );
}
