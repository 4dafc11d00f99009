/**
 * `vigil audit repo` and `vigil audit diff`: audit a published update repository and its
 * transparency log with no account (docs/audit.md), and show what changed between two releases.
 */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import {
  AuditorError,
  auditRepository,
  diffReleases,
  folderSource,
  httpSource,
  readWitnessInput,
  serverSource,
  type AuditOptions,
  type AuditReport,
  type ReleaseDiff,
  type RepoSource,
} from '../agent/index.js';
import { EXIT_CLEAN, EXIT_ERROR, EXIT_FOUND, EXIT_SPLIT_VIEW, reportError } from './exit-codes.js';

interface RepoFlags {
  server?: string;
  mirror?: string;
  trustedRoot?: string;
  state?: string;
  witness?: string[];
  json?: boolean;
}

function parseRelease(value: string): number {
  const n = Number(value);
  if (!/^[1-9][0-9]*$/.test(value) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('expected a release number (1, 2, ...)');
  return n;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** The audit's options from the flags; AuditorError BAD_ARGUMENT for a usage mistake. */
async function auditOptions(flags: RepoFlags): Promise<AuditOptions> {
  if ((flags.server === undefined) === (flags.mirror === undefined)) throw new AuditorError('BAD_ARGUMENT', 'give exactly one of --server URL and --mirror DIR|URL');
  let source: RepoSource;
  if (flags.server !== undefined) {
    if (!/^https?:\/\//i.test(flags.server)) throw new AuditorError('BAD_ARGUMENT', `--server takes an http(s) URL, not ${JSON.stringify(flags.server)}`);
    source = serverSource(flags.server);
  } else {
    source = /^https?:\/\//i.test(flags.mirror!) ? httpSource(flags.mirror!) : folderSource(flags.mirror!);
  }
  let trustedRoot: AuditOptions['trustedRoot'];
  if (flags.trustedRoot !== undefined) {
    try {
      trustedRoot = { bytes: new Uint8Array(readFileSync(flags.trustedRoot)), label: flags.trustedRoot };
    } catch (e) {
      throw new AuditorError('BAD_ARGUMENT', `--trusted-root: ${(e as Error).message}`, { cause: e });
    }
  }
  const witnesses = [];
  for (const spec of flags.witness ?? []) witnesses.push(await readWitnessInput(spec));
  return { source, witnesses, ...(flags.state === undefined ? {} : { stateDir: flags.state }), ...(trustedRoot === undefined ? {} : { trustedRoot }) };
}

function exitCodeOf(report: AuditReport): number {
  if (report.splitViews.length > 0) return EXIT_SPLIT_VIEW;
  return report.ok ? EXIT_CLEAN : EXIT_FOUND;
}

function indentText(text: string, by = '    '): string {
  return text
    .trimEnd()
    .split('\n')
    .map((l) => `${by}${l}`)
    .join('\n');
}

/** The report as text: what was verified, then every warning, problem and split view. */
function formatReport(r: AuditReport, withReleases: boolean): string {
  const out: string[] = [`Repository: ${r.source}${r.origin ? ` (log ${r.origin})` : ''}`];
  const how = { option: 'given with --trusted-root', state: 'pinned', 'first-use': 'trusted on first use, now pinned' };
  if (r.trustedRoot) out.push(`Trusted root: version ${r.trustedRoot.version} (${how[r.trustedRoot.from]}; state ${r.state})`);
  if (r.roots.length > 0) out.push(`Roots: ${r.roots.map((x) => `${x.version}${x.logIndex === undefined ? ' (not logged)' : ` (entry ${x.logIndex})`}`).join(', ')}`);
  if (r.log) {
    const seen = r.log.checkpointsSeen === 0 ? 'first checkpoint seen' : `consistent with the ${r.log.checkpointsSeen} checkpoint(s) seen before`;
    out.push(`Log: ${r.log.size} entries, root ${r.log.rootHash}, ${r.log.time ? `signed ${r.log.time}, ` : ''}${seen}`);
  }
  if (withReleases && r.releases.length > 0) {
    out.push('Releases:', '  release  entry  targets  signatures  hash  body  logical  allow  sha256');
    for (const x of r.releases) {
      const s = x.signatures;
      const cols = s ? [s.total, s.hash, s.body, s.logical, s.allow].map((n, i) => String(n).padStart([10, 4, 4, 7, 5][i]!)) : ['  (not verified)'];
      out.push(`  ${String(x.number).padStart(7)}  ${String(x.logIndex).padStart(5)}  ${String(x.targetsVersion).padStart(7)}  ${cols.join('  ')}  ${x.image.sha256.slice(0, 16)}…`);
    }
  }
  for (const w of r.witnesses) out.push(`Witness ${w.source}: ${w.size === undefined ? 'not a checkpoint of this log' : `size ${w.size}, ${w.consistent ? 'consistent' : 'INCONSISTENT'}`}`);
  for (const w of r.warnings) out.push(`WARNING: ${w}`);
  for (const p of r.problems) out.push(`FAIL ${p.code}: ${p.message}`);
  for (const v of r.splitViews) out.push(`SPLIT VIEW (${v.witness}): ${v.reason}`, '  checkpoint from the source:', indentText(v.ours), `  checkpoint from ${v.witness}:`, indentText(v.theirs));
  if (r.splitViews.length > 0) out.push('SPLIT VIEW: the log shows different histories to different readers');
  else if (r.ok) out.push(`OK: every checkpoint, root and release verified (${r.releases.length} release(s))`);
  else out.push(`FAILED: ${r.problems.length} problem(s)`);
  return out.join('\n');
}

function formatDiff(d: ReleaseDiff): string {
  const lines = [`Release ${d.from} to ${d.to}: ${d.added.reduce((n, c) => n + c.count, 0)} signature(s) added, ${d.removed.reduce((n, c) => n + c.count, 0)} removed`];
  for (const [sign, list] of [['+', d.added], ['-', d.removed]] as const) {
    for (const c of list) lines.push(`${sign} ${c.kind.padEnd(7)} ${c.name}${c.count > 1 ? ` (x${c.count})` : ''}`);
  }
  return lines.join('\n');
}

/** Runs an audit command; AuditorError and other failures to run become exit 2. */
async function runAudit(flags: RepoFlags, work: (options: AuditOptions) => Promise<number>): Promise<number> {
  try {
    return await work(await auditOptions(flags));
  } catch (e) {
    if (e instanceof AuditorError) {
      if (flags.json) process.stdout.write(`${JSON.stringify({ ok: false, error: { code: e.code, message: e.message } })}\n`);
      else process.stderr.write(`ERROR: ${e.message}\n`);
      return EXIT_ERROR;
    }
    return reportError(e);
  }
}

const REPO_HELP = `
What it checks (docs/audit.md, "Auditing the update log"):
  - every root version from the trusted one (TUF 1.0 5.3), and that each is in the log;
  - the log's checkpoint, signed by the key the root names, every entry and tile of its tree, and
    its consistency with every checkpoint this auditor verified before (kept in --state);
  - every release in the log against the targets metadata it names and its image, whose
    signatures it counts; every image the newest targets metadata lists against the log;
  - checkpoints seen by other parties (--witness): any that cannot be one history with the log
    is a split view, printed with both checkpoints.
Exit: ${EXIT_CLEAN} all verified, ${EXIT_FOUND} something did not verify, ${EXIT_ERROR} could not run (usage, network, files),
${EXIT_SPLIT_VIEW} split view. --state defaults to <agent dir>/audit/<log origin>.`;

function addRepoOptions(command: Command): Command {
  return command
    .option('--server <url>', "a Vigil cloud: reads its public routes under <url>/v1/updates/ (no account needed)")
    .option('--mirror <dir|url>', 'a copy of the repository as `vigil cloud repo export` writes it: a folder, or the URL serving it')
    .option('--trusted-root <file>', 'root metadata obtained elsewhere to trust (default: the one pinned in the state folder, else the repository\'s version 1 on first use)')
    .option('--state <dir>', "the auditor's own folder: pinned root, checkpoints seen, mirrored files")
    .option('--witness <file|url>', 'a checkpoint seen by another party, to compare (repeatable)', collect)
    .option('--json', 'print the report as one JSON object');
}

/** Adds `repo` and `diff` to the `audit` command. */
export function registerAuditRepoCommands(audit: Command): void {
  addRepoOptions(audit.command('repo'))
    .description('audit a published update repository and its transparency log, with no account: every checkpoint, root and release, and split views')
    .addHelpText('after', REPO_HELP)
    .action(async (flags: RepoFlags) => {
      process.exitCode = await runAudit(flags, async (options) => {
        const report = await auditRepository(options);
        process.stdout.write(`${flags.json ? JSON.stringify(report) : formatReport(report, true)}\n`);
        return exitCodeOf(report);
      });
    });

  addRepoOptions(audit.command('diff'))
    .description('audit the repository, then show the signatures added and removed between two releases, by name')
    .argument('<from>', 'the older release number', parseRelease)
    .argument('<to>', 'the newer release number', parseRelease)
    .addHelpText('after', '\nThe diff is shown only when the audit verified both releases; exit codes as `vigil audit repo`.')
    .action(async (from: number, to: number, flags: RepoFlags) => {
      process.exitCode = await runAudit(flags, async (options) => {
        const { report, diff } = await diffReleases(options, from, to);
        if (flags.json) process.stdout.write(`${JSON.stringify({ ok: report.ok, diff: diff ?? null, report })}\n`);
        else process.stdout.write(`${diff ? `${formatDiff(diff)}\n` : ''}${report.ok ? '' : `${formatReport(report, false)}\n`}`);
        return diff === undefined && report.ok ? EXIT_FOUND : exitCodeOf(report);
      });
    });
}
