/**
 * Runs clamscan and `vigil scan` on the same database and files, parses their clamscan-style output and
 * compares it; minimises disagreements (one database line, fewest file bytes).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DB_FILE, dbText, type GenFile, type RoundCase, type SigRecord } from './generators.js';

export const REPO = resolve(import.meta.dirname, '../..');
export const VIGIL_CLI = join(REPO, 'dist/cli/main.js');

export function clamscanAvailable(): boolean {
  const r = spawnSync('clamscan', ['--version'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes('ClamAV');
}

export function clamscanVersion(): string {
  return spawnSync('clamscan', ['--version'], { encoding: 'utf8' }).stdout.trim();
}

function newestMtime(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Builds dist/ when it is missing or older than src/ (so a rerun after an engine fix tests the fix). */
export function ensureBuilt(): void {
  if (existsSync(VIGIL_CLI) && statSync(VIGIL_CLI).mtimeMs >= newestMtime(join(REPO, 'src'))) return;
  const r = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: REPO, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building Vigil failed:\n${r.stdout}${r.stderr}`);
}

export interface RunOutput {
  /** Exit code; -1 when the process was killed by a signal (see `signal`). */
  code: number;
  signal?: string;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[]): Promise<RunOutput> {
  return new Promise((res, rej) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    p.on('error', rej);
    p.on('close', (code, signal) => res({ code: code ?? -1, ...(signal ? { signal } : {}), stdout, stderr }));
  });
}

export const runClamscan = (dbDir: string, paths: string[]) => run('clamscan', ['--allmatch', '--no-summary', '-d', dbDir, ...paths]);
export const runVigil = (dbDir: string, paths: string[]) =>
  run(process.execPath, [VIGIL_CLI, 'scan', '--allmatch', '--no-summary', '--no-cache', '-v', '-d', dbDir, ...paths]);

export interface FileVerdict {
  /** Detection names (`PATH: NAME FOUND`). */
  names: Set<string>;
  /** Every name line, duplicates included (clamscan reports text files twice: raw and normalised). */
  nameLines: string[];
  /** `OK`, `Empty file`, `FOUND`, or any other status text; `missing` if the file had no line at all. */
  status: string;
}

/** Parses clamscan-style per-file lines for the given paths. */
export function parseOutput(stdout: string, paths: string[]): Map<string, FileVerdict> {
  const out = new Map<string, FileVerdict>(paths.map((p) => [p, { names: new Set(), nameLines: [], status: 'missing' }]));
  for (const line of stdout.split('\n')) {
    if (!line) continue;
    const i = line.lastIndexOf(': ');
    if (i < 0) continue;
    const v = out.get(line.slice(0, i));
    if (!v) continue;
    const rest = line.slice(i + 2);
    const m = /^(.+) FOUND$/.exec(rest);
    if (m) {
      v.names.add(m[1]!);
      v.nameLines.push(m[1]!);
      v.status = 'FOUND';
    } else if (v.status === 'missing') v.status = rest;
    else v.status += ` | ${rest}`;
  }
  return out;
}

export function dbLoadProblem(r: RunOutput): string | null {
  if (r.code === 2 || /LibClamAV Error|Malformed database|Can't load/i.test(r.stderr)) return r.stderr.trim() || `exit code ${r.code}`;
  return null;
}

export interface FileDiff {
  path: string;
  clamOnly: string[];
  vigilOnly: string[];
  clamStatus: string;
  vigilStatus: string;
}

export function diffVerdicts(paths: string[], clam: Map<string, FileVerdict>, vigil: Map<string, FileVerdict>): FileDiff[] {
  const diffs: FileDiff[] = [];
  for (const p of paths) {
    const c = clam.get(p)!;
    const v = vigil.get(p)!;
    const clamOnly = [...c.names].filter((n) => !v.names.has(n)).sort();
    const vigilOnly = [...v.names].filter((n) => !c.names.has(n)).sort();
    if (clamOnly.length || vigilOnly.length || c.status !== v.status) diffs.push({ path: p, clamOnly, vigilOnly, clamStatus: c.status, vigilStatus: v.status });
  }
  return diffs;
}

// ---------------------------------------------------------------------------------------------
// Writing a case to disk

export function writeDb(dir: string, dbFiles: Map<string, string>): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of dbFiles) writeFileSync(join(dir, name), text);
}

export function writeFiles(dir: string, files: { name: string; data: Uint8Array }[]): string[] {
  mkdirSync(dir, { recursive: true });
  return files.map((f) => {
    const p = join(dir, f.name);
    writeFileSync(p, f.data);
    return p;
  });
}

export interface RoundResult {
  paths: string[];
  clam: RunOutput;
  vigil: RunOutput;
  clamV: Map<string, FileVerdict>;
  vigilV: Map<string, FileVerdict>;
  diffs: FileDiff[];
}

export async function runBoth(dbDir: string, paths: string[]): Promise<RoundResult> {
  const [clam, vigil] = await Promise.all([runClamscan(dbDir, paths), runVigil(dbDir, paths)]);
  const clamV = parseOutput(clam.stdout, paths);
  const vigilV = parseOutput(vigil.stdout, paths);
  return { paths, clam, vigil, clamV, vigilV, diffs: diffVerdicts(paths, clamV, vigilV) };
}

// ---------------------------------------------------------------------------------------------
// Minimisation

export interface Disagreement {
  /** The detection name in question, or null for a status-only difference. */
  name: string | null;
  side: 'clamscan-only' | 'vigil-only' | 'status';
  seed: number;
  file: string;
  fileKind: string;
  /** The database lines that reproduce it (usually one). */
  dbLines: { db: string; line: string }[];
  /** The (shrunk) file. */
  bytes: Uint8Array;
  originalSize: number;
  clamOutput: string;
  vigilOutput: string;
  clamCode: number;
  vigilCode: number;
  minimised: boolean;
  /** The file was not shrunk because a whole-file hash signature is involved. */
  wholeFile: boolean;
}

const baseName = (n: string) => n.replace(/\.UNOFFICIAL$/, '');

function dbOf(lines: { db: string; line: string }[]): Map<string, string> {
  const m = new Map<string, string[]>();
  for (const l of lines) m.set(l.db, [...(m.get(l.db) ?? []), l.line]);
  return new Map([...m].map(([k, v]) => [k, dbText(v)]));
}

/** Minimises one disagreement: smallest set of db lines, then the fewest file bytes (ddmin on byte ranges). */
/** file(1)/ClamAV textdet.c `text_chars`: F = not text. */
const isF = (b: number) => b < 7 || b === 0x0b || (b >= 0x0e && b <= 0x1a) || (b >= 0x1c && b <= 0x1f) || b === 0x7f;
const isT = (b: number) => (b >= 7 && b <= 0x0d && b !== 0x0b) || b === 0x1b || (b >= 0x20 && b <= 0x7e);

/** ClamAV's cli_texttype() on the first 1024 bytes (no-magic files): 'ascii' | 'utf8' | 'utf16' | 'binary'. */
export function clamTextType(data: Uint8Array): 'ascii' | 'utf8' | 'utf16' | 'binary' {
  const b = data.subarray(0, 1024);
  if (!b.some(isF)) return 'ascii';
  let utf8 = true;
  let gotone = false;
  for (let i = 0; i < b.length && utf8; i++) {
    const c = b[i]!;
    if ((c & 0x80) === 0) {
      if (!isT(c)) utf8 = false;
    } else if ((c & 0x40) === 0) utf8 = false;
    else {
      const following = (c & 0x20) === 0 ? 1 : (c & 0x10) === 0 ? 2 : (c & 0x08) === 0 ? 3 : (c & 0x04) === 0 ? 4 : (c & 0x02) === 0 ? 5 : -1;
      if (following < 0) utf8 = false;
      for (let j = 0; j < following && utf8; j++) {
        if (++i >= b.length) {
          i = b.length;
          break;
        }
        if ((b[i]! & 0x80) === 0 || (b[i]! & 0x40) !== 0) utf8 = false;
      }
      gotone = true;
    }
  }
  if (utf8 && gotone) return 'utf8';
  if (b.length < 2) return 'binary';
  const bom = (b[0] === 0xff && b[1] === 0xfe) || (b[0] === 0xfe && b[1] === 0xff);
  if (bom) return 'utf16'; // close enough for our files, which never start with a BOM
  for (let i = 2; i + 1 < b.length; i += 2) {
    const c = b[i]! * 256 + b[i + 1]!;
    if (c === 0xfffe) return 'binary';
    if (c < 128 && !isT(c)) return 'binary';
  }
  return 'utf16';
}

/** Text that ClamAV's normaliser leaves unchanged (no uppercase, single spaces, printable ASCII). */
export function normInvariant(d: Uint8Array): boolean {
  for (let i = 0; i < d.length; i++) {
    const c = d[i]!;
    if (c === 0x20 ? d[i + 1] === 0x20 : c < 0x21 || c > 0x7e || (c >= 0x41 && c <= 0x5a)) return false;
  }
  return true;
}

/** Whether a shrunk file still gets the same treatment from ClamAV as the generated one. */
export function sameClamTreatment(original: GenFile, textNorm: boolean): (d: Uint8Array) => boolean {
  const inner = treatment(original, textNorm);
  // clamscan does not scan files of 5 bytes or less at all ("File too small"): do not shrink into that.
  return original.data.length <= 5 ? inner : (d) => d.length > 5 && inner(d);
}

function treatment(original: GenFile, textNorm: boolean): (d: Uint8Array) => boolean {
  const head = (d: Uint8Array, m: number[]) => m.every((x, i) => d[i] === x);
  switch (original.kind) {
    case 'mz':
      return (d) => head(d, [0x4d, 0x5a]);
    case 'elf':
      return (d) => head(d, [0x7f, 0x45, 0x4c, 0x46]);
    case 'text':
      return (d) => d.length > 0 && (textNorm ? clamTextType(d) === 'ascii' : normInvariant(d));
    default:
      return textNorm ? (d) => d.length > 0 : (d) => d.length > 0 && clamTextType(d) === 'binary';
  }
}

export async function minimise(work: string, rc: RoundCase, file: GenFile, diff: FileDiff, budgetMs: number, keep: (d: Uint8Array) => boolean = () => true): Promise<Disagreement> {
  const t0 = Date.now();
  const name = diff.clamOnly[0] ?? diff.vigilOnly[0] ?? null;
  const side: Disagreement['side'] = diff.clamOnly.length ? 'clamscan-only' : diff.vigilOnly.length ? 'vigil-only' : 'status';
  const dbDir = join(work, 'db');
  const fileDir = join(work, 'files');
  let counter = 0;

  /** Does the disagreement persist for each candidate file? (One run of each scanner for all candidates.) */
  const check = async (db: Map<string, string>, candidates: Uint8Array[]): Promise<{ ok: boolean[]; res: RoundResult }> => {
    writeDb(dbDir, db);
    rmSync(fileDir, { recursive: true, force: true });
    const paths = writeFiles(fileDir, candidates.map((d) => ({ name: `c${counter++}.bin`, data: d })));
    const res = await runBoth(dbDir, paths);
    const ok = paths.map((p) => {
      const c = res.clamV.get(p)!;
      const v = res.vigilV.get(p)!;
      if (side === 'status') return c.status !== v.status;
      const inC = c.names.has(name!);
      const inV = v.names.has(name!);
      return side === 'clamscan-only' ? inC && !inV : inV && !inC;
    });
    return { ok, res };
  };

  const all = rc.sigs.map((s) => ({ db: DB_FILE[s.db], line: s.line }));
  const own: SigRecord[] = name ? rc.sigs.filter((s) => s.name === baseName(name) && s.db !== 'ign2') : [];
  const tries: { db: string; line: string }[][] = [];
  if (own.length) {
    tries.push(own.map((s) => ({ db: DB_FILE[s.db], line: s.line })));
    // Hash signatures: the other entries with the same hash (duplicates interact).
    const hashOf = (l: string) => l.split(':')[0]!.toLowerCase();
    const isHash = (s: SigRecord) => s.db === 'hdb' || s.db === 'hsb' || s.db === 'fp';
    const ownHashes = new Set(own.filter(isHash).map((s) => hashOf(s.line)));
    if (ownHashes.size) tries.push(rc.sigs.filter((s) => isHash(s) && ownHashes.has(hashOf(s.line))).map((s) => ({ db: DB_FILE[s.db], line: s.line })));
    tries.push([...own, ...rc.sigs.filter((s) => s.db === 'fp' || s.db === 'ign2')].map((s) => ({ db: DB_FILE[s.db], line: s.line })));
  }
  tries.push(all);
  let lines = all;
  for (const t of tries) {
    if ((await check(dbOf(t), [file.data])).ok[0]) {
      lines = t;
      break;
    }
  }
  const db = dbOf(lines);
  let bytes = file.data;
  const isHash = own.some((s) => s.db === 'hdb' || s.db === 'hsb') || lines.some((l) => l.db === DB_FILE.fp);
  let minimised = true; // hash signatures: the file has to stay whole
  if (!isHash) {
    // ddmin over byte ranges: try removing each of n chunks; on success keep the smaller file.
    let n = 2;
    while (bytes.length > 1) {
      if (Date.now() - t0 > budgetMs) {
        minimised = false;
        break;
      }
      const chunk = Math.ceil(bytes.length / n);
      const cands: Uint8Array[] = [];
      for (let i = 0; i < bytes.length; i += chunk) {
        const c = Uint8Array.from([...bytes.subarray(0, i), ...bytes.subarray(i + chunk)]);
        if (keep(c)) cands.push(c);
      }
      const { ok } = cands.length ? await check(db, cands) : { ok: [] as boolean[] };
      const hit = ok.indexOf(true);
      if (hit >= 0) {
        bytes = cands[hit]!;
        n = Math.max(n - 1, 2);
      } else if (chunk === 1) break;
      else n = Math.min(bytes.length, n * 2);
    }
  }
  const final = await check(db, [bytes]);
  const p = final.res.paths[0]!;
  const show = (r: RunOutput, v: FileVerdict) => `${v.nameLines.length ? v.nameLines.map((x) => `${x} FOUND`).join(', ') : v.status} (exit ${r.code})${r.stderr.trim() ? `; stderr: ${r.stderr.trim().split('\n').slice(0, 3).join(' / ')}` : ''}`;
  return {
    name, side, seed: rc.seed, file: file.name, fileKind: file.kind, dbLines: lines, bytes, originalSize: file.data.length,
    clamOutput: show(final.res.clam, final.res.clamV.get(p)!), vigilOutput: show(final.res.vigil, final.res.vigilV.get(p)!),
    clamCode: final.res.clam.code, vigilCode: final.res.vigil.code, minimised: minimised && final.ok[0] === true, wholeFile: isHash,
  };
}

export function hexdump(b: Uint8Array, max = 256): string {
  const h = Buffer.from(b.subarray(0, max)).toString('hex');
  return h + (b.length > max ? `… (${b.length} bytes)` : '');
}

export function formatDisagreement(d: Disagreement): string {
  const printable = Buffer.from(d.bytes.subarray(0, 120)).toString('latin1').replace(/[^\x20-\x7e]/g, '.');
  return [
    `- ${d.side}: ${d.name ?? '(status)'}  [seed ${d.seed}, ${d.file} (${d.fileKind}), ${d.originalSize} -> ${d.bytes.length} bytes${d.wholeFile ? ', whole file (hash signature)' : d.minimised ? '' : ', not fully minimised'}]`,
    ...d.dbLines.map((l) => `    ${l.db}: ${l.line}`),
    `    file hex: ${hexdump(d.bytes)}`,
    `    file text: ${printable}`,
    `    clamscan: ${d.clamOutput}`,
    `    vigil:    ${d.vigilOutput}`,
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Database lines Vigil refuses (while clamscan loads them)

export interface LoadRejection {
  db: string;
  /** 1-based line number in the database file. */
  lineNo: number;
  line: string;
  /** Vigil's message (`error E005: ...`). */
  message: string;
  seed: number;
}

/** Parses `vigil scan` load errors (`PATH:LINE: error CODE: message`) against the database files written. */
export function vigilLoadErrors(stderr: string, dbFiles: Map<string, string>, seed: number): LoadRejection[] {
  const out: LoadRejection[] = [];
  for (const l of stderr.split('\n')) {
    const m = /^(?:.*\/)?([^/:]+):(\d+): (error .*)$/.exec(l);
    if (!m || !dbFiles.has(m[1]!)) continue;
    const lineNo = Number(m[2]);
    out.push({ db: m[1]!, lineNo, line: dbFiles.get(m[1]!)!.split('\n')[lineNo - 1] ?? '', message: m[3]!, seed });
  }
  return out;
}

/** A key that groups rejections of the same kind (message without positions, numbers and quoted text). */
export function rejectionKind(r: LoadRejection): string {
  const ext = r.db.replace(/^.*\./, '');
  const comment = r.line.startsWith('#') ? ' (comment line)' : '';
  return `${ext}${comment}: ${r.message.replace(/'[^']*'/g, "'…'").replace(/\d+/g, 'N')}`;
}

/** Drops the given 1-based lines from the database files (files left empty are removed). */
export function dropLines(dbFiles: Map<string, string>, rej: LoadRejection[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, text] of dbFiles) {
    const bad = new Set(rej.filter((r) => r.db === name).map((r) => r.lineNo));
    const lines = text.split('\n').slice(0, -1).filter((_, i) => !bad.has(i + 1));
    if (lines.some((l) => !l.startsWith('#'))) out.set(name, dbText(lines));
  }
  return out;
}

/** Confirms a rejection on its own: the single line loads in clamscan, and Vigil refuses it. */
export async function confirmRejection(work: string, r: LoadRejection): Promise<{ clam: string; vigil: string } | null> {
  const db = new Map([[r.db, dbText(r.line.startsWith('#') ? [r.line, fallbackLine(r.db)] : [r.line])]]);
  const dbDir = join(work, 'db');
  writeDb(dbDir, db);
  const f = join(work, 'probe.bin');
  writeFileSync(f, 'probe');
  const [c, v] = await Promise.all([runClamscan(dbDir, [f]), runVigil(dbDir, [f])]);
  if (dbLoadProblem(c) || v.code !== 2) return null;
  const first = (s: string) => s.trim().split('\n').slice(0, 2).join(' / ');
  return { clam: `loads (exit ${c.code}, ${first(c.stdout)})`, vigil: `exit ${v.code}: ${first(v.stderr)}` };
}

/** A harmless valid line for a database type (so a comment-only file is not an "empty database"). */
function fallbackLine(db: string): string {
  if (db.endsWith('.ndb')) return 'Probe.Sig:0:*:70726f6265';
  if (db.endsWith('.ldb')) return 'Probe.Sig;Target:0;0;70726f6265';
  if (db.endsWith('.ign2')) return 'Probe.Sig';
  return '0123456789abcdef0123456789abcdef:5:Probe.Sig';
}
