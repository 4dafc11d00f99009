/**
 * `vigil audit`: what auditors run. `audit log verify` checks an exported audit log offline;
 * `audit repo` and `audit diff` audit a published update repository and its transparency log with
 * no account (docs/audit.md).
 */
import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { Command, InvalidArgumentError } from 'commander';
import {
  AUDIT_GENESIS,
  AUDIT_MAX_LINE_BYTES,
  createAuditChainVerifier,
  type AuditChainFailure,
  type AuditChainResult,
  type AuditHead,
} from '../protocol/index.js';
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
import { EXIT_CLEAN, EXIT_ERROR, EXIT_FOUND, reportError } from './exit-codes.js';

/** Why a file could not be verified at all (exit 2), as opposed to a chain that is broken (exit 1). */
interface Unverifiable {
  code: 'UNREADABLE' | 'NOT_JSON_LINES';
  message: string;
  line?: number;
}

/**
 * Passes bytes through until a line grows past `maxBytes`, then ends its output at the start of
 * that line's excess and remembers the line's number, so that a file without newlines is never
 * held in memory whole. Lines end as node:readline ends them: LF, CR LF or a lone CR.
 */
class LineLengthGuard extends Transform {
  overflowLine: number | undefined;
  private line = 1;
  private length = 0;
  private afterCR = false;

  constructor(private readonly maxBytes: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    if (this.overflowLine !== undefined) return done();
    const cut = chunk.indexOf(0x0d) === -1 ? this.scanLf(chunk) : this.scanBytes(chunk);
    if (cut === -1) {
      this.push(chunk);
    } else {
      this.overflowLine = this.line;
      this.push(chunk.subarray(0, cut));
      this.push(null);
      this.emit('overflow');
    }
    done();
  }

  /** For chunks without CR (the usual case): native search for LF. Returns where a line overflows, or -1. */
  private scanLf(chunk: Buffer): number {
    let pos = 0;
    for (;;) {
      const lf = chunk.indexOf(0x0a, pos);
      const end = lf === -1 ? chunk.length : lf;
      if (end > pos) this.afterCR = false;
      this.length += end - pos;
      if (this.length > this.maxBytes) return end - (this.length - this.maxBytes);
      if (lf === -1) return -1;
      if (!this.afterCR) this.line++;
      this.length = 0;
      this.afterCR = false;
      pos = lf + 1;
    }
  }

  /** Byte by byte, for chunks holding a CR (CR LF counts as one line end, a lone CR as one too). */
  private scanBytes(chunk: Buffer): number {
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (b === 0x0a) {
        if (!this.afterCR) this.line++;
        this.length = 0;
        this.afterCR = false;
      } else if (b === 0x0d) {
        this.line++;
        this.length = 0;
        this.afterCR = true;
      } else {
        this.afterCR = false;
        if (++this.length > this.maxBytes) return i;
      }
    }
    return -1;
  }
}

function isJsonObject(text: string): boolean {
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v);
  } catch {
    return false;
  }
}

/**
 * Streams `input` line by line through the chain verifier and stops at the first failure. When the
 * first line with content is not a JSON object, the next one decides: a JSON object there means a
 * damaged log (a chain failure), anything else means the input is not JSON lines at all.
 */
async function verifyStream(input: Readable, expectHead: Partial<AuditHead>): Promise<AuditChainResult | Unverifiable> {
  const verifier = createAuditChainVerifier({ expectHead });
  const guard = new LineLengthGuard(AUDIT_MAX_LINE_BYTES);
  const rl = createInterface({ input: guard, crlfDelay: Infinity });
  let readError: Error | undefined;
  input.on('error', (e: Error) => {
    readError = e;
    rl.close();
  });
  guard.on('overflow', () => {
    input.unpipe(guard);
    input.destroy();
  });
  input.pipe(guard);

  const tooLong = `line longer than ${AUDIT_MAX_LINE_BYTES} bytes`;
  const notJsonLines = (f: AuditChainFailure): Unverifiable => ({ code: 'NOT_JSON_LINES', line: f.line, message: `not an audit log in JSON lines (${f.reason})` });
  let lineNo = 0;
  let firstContentLine = 0;
  let damagedFirstLine: AuditChainFailure | undefined;
  try {
    for await (const text of rl) {
      lineNo++;
      const overflow = guard.overflowLine === lineNo;
      if (damagedFirstLine) {
        // The first line was not JSON: the next line with content says whether this is JSON lines.
        if (text.trim() === '' && !overflow) continue;
        return !overflow && isJsonObject(text) ? damagedFirstLine : notJsonLines(damagedFirstLine);
      }
      if (firstContentLine === 0 && (overflow || text.trim() !== '')) firstContentLine = lineNo;
      const failure: AuditChainFailure | null = overflow
        ? { ok: false, seq: verifier.count + 1, line: lineNo, code: 'LINE_TOO_LONG', reason: tooLong }
        : verifier.pushLine(text, lineNo);
      if (!failure) continue;
      if (lineNo !== firstContentLine) return failure;
      if (failure.code === 'LINE_TOO_LONG') return notJsonLines(failure);
      if (failure.code === 'NOT_JSON') damagedFirstLine = failure;
      else return failure;
    }
  } finally {
    rl.close();
    input.destroy();
  }
  if (readError) return { code: 'UNREADABLE', message: `cannot read: ${readError.message}` };
  if (damagedFirstLine) return notJsonLines(damagedFirstLine);
  return verifier.finish();
}

function parseHash(value: string): string {
  const hash = value.toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hash)) throw new InvalidArgumentError('expected a SHA-256 hash: 64 hex digits');
  return hash;
}

function parseCount(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('expected a whole number of records');
  return n;
}

interface VerifyFlags {
  json?: boolean;
  expectHead?: string;
  expectCount?: number;
}

async function verifyCommand(file: string, flags: VerifyFlags): Promise<number> {
  const label = file === '-' ? 'stdin' : file;
  const print = (text: string, toStderr = false) => (toStderr ? process.stderr : process.stdout).write(`${text}\n`);
  if (flags.expectCount === 0 && flags.expectHead !== undefined && flags.expectHead !== AUDIT_GENESIS) {
    print(`ERROR: --expect-count 0 goes only with --expect-head ${AUDIT_GENESIS} (the head of an empty log)`, true);
    return EXIT_ERROR;
  }
  const expectHead: Partial<AuditHead> = {
    ...(flags.expectHead === undefined ? {} : { hash: flags.expectHead }),
    ...(flags.expectCount === undefined ? {} : { count: flags.expectCount }),
  };
  let outcome: AuditChainResult | Unverifiable;
  try {
    outcome = await verifyStream(file === '-' ? process.stdin : createReadStream(file), expectHead);
  } catch (e) {
    outcome = { code: 'UNREADABLE', message: `cannot read: ${(e as Error).message}` };
  }
  if (!('ok' in outcome)) {
    const where = outcome.line === undefined ? label : `${label}:${outcome.line}`;
    if (flags.json) print(JSON.stringify({ file: label, ok: false, error: { code: outcome.code, message: `${where}: ${outcome.message}` } }));
    else print(`ERROR: ${where}: ${outcome.message}`, true);
    return EXIT_ERROR;
  }
  if (flags.json) {
    print(JSON.stringify({ file: label, ...outcome }));
  } else if (outcome.ok) {
    print(`${label}: OK (${outcome.count} records, head ${outcome.head})`);
  } else {
    print(`${label}:${outcome.line}: record ${outcome.seq}: ${outcome.reason}`);
  }
  return outcome.ok ? EXIT_CLEAN : EXIT_FOUND;
}

const VERIFY_HELP = `
Output:
  FILE: OK (N records, head HASH)         the chain holds; exit 0
  FILE:LINE: record SEQ: REASON           the first break; exit 1
  ERROR: FILE: ...                        unreadable, or not JSON lines; exit 2
  With --json, one object: {"file","ok":true,"count","head"},
  {"file","ok":false,"line","seq","code","reason"} or {"file","ok":false,"error":{"code","message"}}.

What it proves: no record was altered, removed, inserted or reordered, unless every record after
the change was re-hashed too. Records cut off the end, and a log rewritten from some record on,
are detected only against a head obtained elsewhere (the service's signed or published head, e.g.
GET /v1/audit/head): pass it as --expect-head and --expect-count. The log may continue past it.`;

/** `vigil audit repo|diff`: a checkpoint from another party contradicts the log (exit 3). */
export const EXIT_SPLIT_VIEW = 3;

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
Exit: 0 all verified, 1 something did not verify, 2 could not run (usage, network, files),
3 split view. --state defaults to <agent dir>/audit/<log origin>.`;

function addRepoOptions(command: Command): Command {
  return command
    .option('--server <url>', "a Vigil cloud: reads its public routes under <url>/v1/updates/ (no account needed)")
    .option('--mirror <dir|url>', 'a copy of the repository as `vigil cloud repo export` writes it: a folder, or the URL serving it')
    .option('--trusted-root <file>', 'root metadata obtained elsewhere to trust (default: the one pinned in the state folder, else the repository\'s version 1 on first use)')
    .option('--state <dir>', "the auditor's own folder: pinned root, checkpoints seen, mirrored files")
    .option('--witness <file|url>', 'a checkpoint seen by another party, to compare (repeatable)', collect)
    .option('--json', 'print the report as one JSON object');
}

export function registerAuditCommand(program: Command): void {
  const audit = program
    .command('audit')
    .description("check the vendor cloud's records: its hash-chained audit log (audit log verify), its update repository and transparency log (audit repo, audit diff)")
    .addHelpText('after', '\nExamples:\n  vigil audit log verify audit.jsonl --expect-count 1200 --expect-head <hash>\n  vigil audit repo --server https://cloud.example.com\n  vigil audit diff --mirror ./repo 41 42');

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

  const log = audit
    .command('log')
    .description("check the vendor cloud's hash-chained audit log (every gated decision and every change of rules, accounts and tokens)")
    .addHelpText('after', '\nExports are JSON lines, one record a line: {"seq","at","kind","actor","tenant","data","prev","hash"}.');

  log
    .command('verify')
    .description('check an exported audit log offline: every record hashed and chained to the previous one, seq consecutive from 1')
    .argument('<file>', 'JSON lines export (any size: read as a stream), or - for standard input')
    .option('--json', 'print the result as one JSON object')
    .option('--expect-head <hash>', 'hash of a head obtained elsewhere (e.g. the published one) that the log must contain', parseHash)
    .option('--expect-count <n>', 'number of records up to that head: the log must have at least this many', parseCount)
    .addHelpText('after', VERIFY_HELP)
    .action(async (file: string, flags: VerifyFlags) => {
      process.exitCode = await verifyCommand(file, flags);
    });
}
