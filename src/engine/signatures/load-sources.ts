/**
 * Reads ClamAV-format signature sources (files, directories, containers) into a sink, collecting
 * every problem with file, line and a stable code instead of stopping at the first.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import type { DatabaseProblem } from '../errors.js';
import { parseNdbLine, SignatureLineError } from './body-signature.js';
import { CvdFormatError, readCvd } from './cvd.js';
import { parseHashLine } from './hash-signature.js';
import { parseLdbLine } from './logical-signature.js';
import { HASH_ALGOS, SUPPORTED_TARGET_TYPES, TARGET_TYPE_NAMES, type BodySignature, type LogicalSignature, type SignatureSink } from './model.js';
import { TarFormatError } from './tar-reader.js';

/**
 * Appended, as ClamAV does, to names from plain-text databases and `.cud` containers: only the
 * signed `.cvd`/`.cld` containers (and Vigil's compiled images) carry official names.
 */
export const UNOFFICIAL_SUFFIX = '.UNOFFICIAL';

/** Longest line accepted in a source file. */
export const MAX_LINE_LENGTH = 1024 * 1024;

type Kind = 'hdb' | 'hsb' | 'fp' | 'sfp' | 'ndb' | 'ldb' | 'ign' | 'ign2' | 'cvd';

const KIND_BY_EXT: Record<string, Kind> = {
  '.hdb': 'hdb', '.hdu': 'hdb', '.hsb': 'hsb', '.hsu': 'hsb', '.fp': 'fp', '.sfp': 'sfp',
  '.ndb': 'ndb', '.ndu': 'ndb', '.ldb': 'ldb', '.ldu': 'ldb', '.ign': 'ign', '.ign2': 'ign2',
  '.cvd': 'cvd', '.cld': 'cvd', '.cud': 'cvd',
};

/** ClamAV database types that Vigil recognises but does not load yet. */
const IGNORED_EXT = new Set([
  '.mdb', '.mdu', '.msb', '.msu', '.imp', '.cdb', '.cbc', '.ftm', '.idb', '.crb', '.pdb', '.gdb', '.wdb',
  '.yar', '.yara', '.cat', '.ioc', '.pwdb', '.db', '.zmd', '.rmd', '.hdbx',
]);
/** Files that live in database folders and containers and carry no signatures. */
const QUIET_EXT = new Set(['.info', '.cfg', '.sign', '.dat', '.txt', '.md', '']);

export function databaseKind(fileName: string): Kind | 'ignored' | 'quiet' | null {
  const ext = extname(fileName).toLowerCase();
  const kind = KIND_BY_EXT[ext];
  if (kind) return kind;
  if (IGNORED_EXT.has(ext)) return 'ignored';
  if (QUIET_EXT.has(ext) || basename(fileName) === 'COPYING') return 'quiet';
  return null;
}

/** Signatures for file types the detector never reports are loaded, counted and skipped. */
function checkTarget(type: number): void {
  if (!SUPPORTED_TARGET_TYPES.has(type)) {
    throw new SignatureLineError('W101', `target type ${type} (${TARGET_TYPE_NAMES[type] ?? 'unknown'}) is never detected`);
  }
}

function problem(problems: DatabaseProblem[], file: string, line: number, e: unknown): void {
  if (e instanceof SignatureLineError) problems.push({ file, line, code: e.code, message: e.message });
  else throw e;
}

/** Splits text into lines (LF or CRLF) and feeds the non-empty ones to `each`, reporting errors per line. */
function forEachLine(text: string, file: string, problems: DatabaseProblem[], each: (line: string) => void): void {
  let start = 0;
  let lineNo = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    lineNo++;
    let line = text.slice(start, end);
    start = end + 1;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    // ClamAV skips lines starting with '#' in every text database; Vigil also skips blank lines.
    if (line.length === 0 || line.startsWith('#')) continue;
    if (line.length > MAX_LINE_LENGTH) {
      problems.push({ file, line: lineNo, code: 'E014', message: `line is ${line.length} characters, longer than ${MAX_LINE_LENGTH}` });
      continue;
    }
    try {
      each(line);
    } catch (e) {
      problem(problems, file, lineNo, e);
    }
  }
}

/** Loads one source held in memory; `name` decides its format. */
export function loadSourceBuffer(name: string, data: Uint8Array, sink: SignatureSink, problems: DatabaseProblem[], official = false): void {
  const kind = databaseKind(name);
  if (kind === 'quiet') return;
  if (kind === 'ignored') {
    problems.push({ file: name, line: 0, code: 'W103', message: `${extname(name)} databases are not supported yet; file ignored` });
    sink.countSkipped(`${extname(name)} file`);
    return;
  }
  if (kind === null) {
    problems.push({ file: name, line: 0, code: 'E012', message: `'${extname(name) || name}' is not a known signature database type` });
    return;
  }
  if (kind === 'cvd') {
    loadContainer(name, data, sink, problems);
    return;
  }
  const text = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('latin1');
  const suffix = official ? '' : UNOFFICIAL_SUFFIX;
  const skipped = (reason: string) => sink.countSkipped(reason);
  const warn = (e: unknown, lineText: string) => {
    if (e instanceof SignatureLineError && e.code.startsWith('W')) {
      // Counted by kind of reason, not by signature: quoted values and subsignature numbers dropped.
      skipped(e.message.replace(/^subsignature \d+: /, '').replace(/'[^']*'/g, "'…'"));
      throw new SignatureLineError(e.code, `${e.message}; signature '${lineText.split(/[:;]/)[0]!}' skipped`);
    }
    throw e;
  };
  switch (kind) {
    case 'hdb':
    case 'hsb':
    case 'fp':
    case 'sfp': {
      const list = kind === 'fp' || kind === 'sfp' ? 'allow' : 'detect';
      // As ClamAV, every hash file takes MD5, SHA1 and SHA256, told apart by length.
      forEachLine(text, name, problems, (line) => {
        const h = parseHashLine(line, HASH_ALGOS);
        if (h && list === 'detect' && sink.isIgnored(h.name, line)) sink.countIgnored();
        else if (h) sink.addHash(list, h.algo, h.digest, h.size, h.name + suffix);
      });
      break;
    }
    case 'ndb':
    case 'ldb': {
      const parse = kind === 'ndb' ? parseNdbLine : parseLdbLine;
      const add = kind === 'ndb' ? (s: BodySignature) => sink.addBody(s) : (s: LogicalSignature) => sink.addLogical(s);
      forEachLine(text, name, problems, (line) => {
        try {
          const s = parse(line);
          if (s) checkTarget(s.targetType);
          if (s && sink.isIgnored(s.name, line)) sink.countIgnored();
          else if (s) (add as (x: typeof s) => void)({ ...s, name: s.name + suffix });
          // A signature for another functionality level is skipped silently, as ClamAV does.
        } catch (e) {
          warn(e, line);
        }
      });
      break;
    }
    case 'ign':
    case 'ign2':
      forEachLine(text, name, problems, (line) => {
        // .ign2: `Name` or `Name:MD5`; legacy .ign: `DatabaseFile:Line:Name`.
        const f = line.split(':');
        if (f.length === 3) sink.ignore(f[2]!, null);
        else if (f.length === 1) sink.ignore(f[0]!, null);
        else if (f.length === 2 && /^[0-9a-f]{32}$/i.test(f[1]!)) sink.ignore(f[0]!, f[1]!.toLowerCase());
        else throw new SignatureLineError('E001', `ignore entry '${line.slice(0, 100)}' is not Name or Name:MD5`);
      });
      break;
  }
  sink.addSource({ name, kind });
}

function loadContainer(name: string, data: Uint8Array, sink: SignatureSink, problems: DatabaseProblem[]): void {
  try {
    const { header, entries } = readCvd(data);
    const official = extname(name).toLowerCase() !== '.cud';
    const isIgnoreList = (e: { name: string }) => /\.ign2?$/i.test(e.name);
    for (const entry of [...entries.filter(isIgnoreList), ...entries.filter((e) => !isIgnoreList(e))]) {
      loadSourceBuffer(`${name}/${entry.name}`, entry.data, sink, problems, official);
    }
    sink.addSource({
      name,
      kind: extname(name).slice(1),
      container: {
        version: header.version,
        buildTime: header.buildTime,
        signatures: header.signatures,
        functionalityLevel: header.functionalityLevel,
        builder: header.builder,
      },
    });
  } catch (e) {
    if (e instanceof CvdFormatError || e instanceof TarFormatError) {
      problems.push({ file: name, line: 0, code: 'E010', message: e.message });
    } else throw e;
  }
}

/** Lists the source files under the given paths (directories one level deep, sorted by name, as ClamAV does). */
export function listSourceFiles(paths: string[], problems: DatabaseProblem[]): string[] {
  const files: string[] = [];
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch (e) {
      problems.push({ file: p, line: 0, code: 'E011', message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
      continue;
    }
    if (st.isDirectory()) {
      for (const entry of readdirSync(p).sort()) {
        const k = databaseKind(entry);
        if (k !== null && k !== 'quiet') files.push(join(p, entry));
      }
    } else files.push(p);
  }
  return files;
}

/** Loads every source file, ignore lists first (so they apply to all); problems are appended to `problems`. */
export function loadSourceFiles(files: string[], sink: SignatureSink, problems: DatabaseProblem[]): void {
  const isIgnoreList = (f: string) => /\.ign2?$/i.test(f);
  for (const file of [...files.filter(isIgnoreList), ...files.filter((f) => !isIgnoreList(f))]) {
    let data: Buffer;
    try {
      data = readFileSync(file);
    } catch (e) {
      problems.push({ file, line: 0, code: 'E011', message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
      continue;
    }
    loadSourceBuffer(file, data, sink, problems);
  }
}
