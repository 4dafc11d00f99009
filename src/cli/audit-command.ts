/**
 * `vigil audit`: what auditors run. `audit log verify` (here) checks an exported audit log offline;
 * `audit repo` and `audit diff` (audit-repo-command.ts) audit a published update repository and its
 * transparency log with no account (docs/audit.md).
 */
import { createReadStream } from 'node:fs';
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
import { registerAuditRepoCommands } from './audit-repo-command.js';
import { EXIT_CLEAN, EXIT_ERROR, EXIT_FOUND } from './exit-codes.js';

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
    if (this.overflowLine !== undefined) {
      done();
      return;
    }
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

export function registerAuditCommand(program: Command): void {
  const audit = program
    .command('audit')
    .description("check the vendor cloud's records: its hash-chained audit log (audit log verify), its update repository and transparency log (audit repo, audit diff)")
    .addHelpText('after', '\nExamples:\n  vigil audit log verify audit.jsonl --expect-count 1200 --expect-head <hash>\n  vigil audit repo --server https://cloud.example.com\n  vigil audit diff --mirror ./repo 41 42');

  registerAuditRepoCommands(audit);

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
