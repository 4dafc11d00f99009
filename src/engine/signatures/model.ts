/**
 * What the signature parsers produce and the compiler consumes. Hash signatures go straight into
 * compact builders (the official database holds millions of them), body and logical signatures are
 * kept as small objects until they are compiled.
 */
import type { Segment } from './hex-pattern.js';

export type HashAlgo = 'md5' | 'sha1' | 'sha256';
export const HASH_ALGOS: readonly HashAlgo[] = ['md5', 'sha1', 'sha256'];
export const DIGEST_LENGTH: Record<HashAlgo, number> = { md5: 16, sha1: 20, sha256: 32 };

/** Where a body pattern may start. `abs`: at value..value+maxShift; `eof`: at size-value..size-value+maxShift. */
export type Offset =
  | { kind: 'any' }
  | { kind: 'abs'; value: number; maxShift: number }
  | { kind: 'eof'; value: number; maxShift: number };

/** ClamAV target types (ClamAV docs, "Target Types"); 0 means any file. */
export const TARGET_TYPE_NAMES: Record<number, string> = {
  0: 'any',
  1: 'PE',
  2: 'OLE2',
  3: 'HTML',
  4: 'mail',
  5: 'graphics',
  6: 'ELF',
  7: 'ASCII text',
  8: 'unused',
  9: 'Mach-O',
  10: 'PDF',
  11: 'Flash',
  12: 'Java class',
  13: 'internal',
  14: 'other',
};
/** Target types whose files the engine's detector recognises; signatures for the others are loaded and skipped. */
export const SUPPORTED_TARGET_TYPES = new Set([0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12]);

/** One way a body pattern can appear: a list of segments (variants exist for the `::a` and `::wa` modifiers). */
export interface PatternVariant {
  segments: Segment[];
}

export interface BodyPattern {
  offset: Offset;
  variants: PatternVariant[];
}

export interface BodySignature {
  name: string;
  targetType: number;
  pattern: BodyPattern;
}

/** Logical expression tree over subsignature indexes. */
export type LogicalExpr =
  | { op: 'sub'; index: number }
  | { op: 'and' | 'or'; left: LogicalExpr; right: LogicalExpr }
  | { op: 'cmp'; cmp: '=' | '>' | '<'; expr: LogicalExpr; count: number; distinct: number };

export interface LogicalSignature {
  name: string;
  targetType: number;
  /** Inclusive file size range, or null for any size. */
  fileSize: { min: number; max: number } | null;
  expr: LogicalExpr;
  subsigs: BodyPattern[];
}

export interface SourceInfo {
  /** Name of the source (file name, or container name). */
  name: string;
  kind: string;
  /** Present for .cvd/.cld/.cud containers. */
  container?: { version: number; buildTime: string; signatures: number; functionalityLevel: number; builder: string };
}

/** Receives signatures from the parsers. */
export interface SignatureSink {
  addHash(list: 'detect' | 'allow', algo: HashAlgo, digest: Uint8Array, size: number | null, name: string): void;
  addBody(sig: BodySignature): void;
  addLogical(sig: LogicalSignature): void;
  /** `.ign`/`.ign2`: drop signatures of this name (and, when given, only the one whose line has this MD5). */
  ignore(name: string, lineMd5: string | null): void;
  /** Whether a signature (its name as written, and its whole source line) is on an ignore list. */
  isIgnored(name: string, line: string): boolean;
  /** Counts a signature dropped by an ignore list. */
  countIgnored(): void;
  /** Counts a signature that was recognised but not loaded, by reason. */
  countSkipped(reason: string): void;
  addSource(info: SourceInfo): void;
}
