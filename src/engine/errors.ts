/**
 * Errors of the engine. A verdict is never an error: a scan that finds malware returns a result;
 * these are for databases that cannot be loaded and inputs that cannot be read.
 */
import { VigilError, type VigilErrorOptions } from '../protocol/index.js';

/** Stable codes for problems found while loading signature sources (see docs/cli.md). */
export type DatabaseProblemCode =
  | 'E001' // line has the wrong number of fields
  | 'E002' // hash is not hex or has the wrong length
  | 'E003' // size is not a number (or `*` where allowed)
  | 'E004' // signature name is empty or has forbidden characters
  | 'E005' // hex pattern is malformed
  | 'E006' // offset is malformed
  | 'E007' // target type is not a number in range
  | 'E008' // logical expression is malformed or references a missing subsignature
  | 'E009' // target description block is malformed
  | 'E010' // container (.cvd/.cld/.cud) header or body is corrupt
  | 'E011' // file cannot be read
  | 'E012' // database file type is not supported
  | 'E014' // line is too long
  | 'W101' // signature uses a feature Vigil does not support yet: skipped
  | 'W103'; // file type of the database is recognised but ignored

export interface DatabaseProblem {
  file: string;
  /** 1-based line number, 0 when the problem concerns the whole file. */
  line: number;
  code: DatabaseProblemCode;
  message: string;
}

export function isWarning(p: DatabaseProblem): boolean {
  return p.code.startsWith('W');
}

export function formatProblem(p: DatabaseProblem): string {
  const where = p.line > 0 ? `${p.file}:${p.line}` : p.file;
  return `${where}: ${isWarning(p) ? 'warning' : 'error'} ${p.code}: ${p.message}`;
}

export type EngineErrorCode =
  | 'DATABASE_INVALID' // sources had errors; `problems` lists them
  | 'IMAGE_CORRUPT' // compiled image fails its checksum or structure checks
  | 'IMAGE_VERSION' // compiled image was written by an incompatible compiler
  | 'DATABASE_NOT_FOUND' // a -d path does not exist or holds no database
  | 'SCANNER_CLOSED'
  | 'READ_ERROR';

export class EngineError extends VigilError {
  readonly code: EngineErrorCode;
  readonly problems: DatabaseProblem[];
  constructor(code: EngineErrorCode, message: string, options: VigilErrorOptions & { problems?: DatabaseProblem[] } = {}) {
    super(message, options);
    this.name = 'EngineError';
    this.code = code;
    this.problems = options.problems ?? [];
  }
}
