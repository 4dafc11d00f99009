/**
 * Extended body signatures, `.ndb` (ClamAV docs, "Extended signature format"):
 *   Name:TargetType:Offset:HexSignature[:MinFL[:MaxFL]]
 */
import { VigilError } from '../../protocol/index.js';
import type { DatabaseProblemCode } from '../errors.js';
import { parsePattern, PatternSyntaxError, type PatternOptions } from './hex-pattern.js';
import type { BodyPattern, BodySignature, Offset, PatternVariant } from './model.js';

/** Functionality level this engine implements (ClamAV 1.4 reports 200+); signatures needing more are skipped. */
export const ENGINE_FUNCTIONALITY_LEVEL = 210;

export class SignatureLineError extends VigilError {
  constructor(
    readonly code: DatabaseProblemCode,
    message: string,
  ) {
    super(message);
  }
}

const NUMBER = /^\d{1,10}$/;

/** Parses an offset: `*`, `n`, `n,maxshift`, `EOF-n`, `EOF-n,maxshift`. PE-relative forms are recognised and reported. */
export function parseOffset(text: string, targetType: number): Offset {
  if (text === '*') return { kind: 'any' };
  const [base = '', shiftText, extra] = text.split(',');
  if (extra !== undefined) throw new SignatureLineError('E006', `offset '${text}' has more than one ','`);
  let maxShift = 0;
  if (shiftText !== undefined) {
    if (!NUMBER.test(shiftText)) throw new SignatureLineError('E006', `maxshift in offset '${text}' is not a number`);
    maxShift = Number(shiftText);
  }
  if (NUMBER.test(base)) return { kind: 'abs', value: Number(base), maxShift };
  if (base.startsWith('EOF-')) {
    const n = base.slice(4);
    if (!NUMBER.test(n)) throw new SignatureLineError('E006', `offset '${text}' needs a number after EOF-`);
    return { kind: 'eof', value: Number(n), maxShift };
  }
  if (/^(EP[+-]\d+|S\d+[+-]\d+|SL[+-]\d+|SE\d+|VI)$/.test(base)) {
    // ClamAV accepts executable-relative offsets only for PE, ELF and Mach-O targets.
    if (![1, 6, 9].includes(targetType)) throw new SignatureLineError('E006', `offset '${base}' needs target type 1, 6 or 9`);
    throw new SignatureLineError('W101', `offset '${base}' (executable-relative) is not supported yet`);
  }
  if (/^\$\d+\$$/.test(base)) throw new SignatureLineError('W101', `macro group offset '${base}' is not supported yet`);
  throw new SignatureLineError('E006', `offset '${text}' is not one of *, n, n,maxshift, EOF-n`);
}

export function checkName(name: string): void {
  if (name.length === 0) throw new SignatureLineError('E004', 'signature name is empty');
  if (name.length > 1024) throw new SignatureLineError('E004', 'signature name is longer than 1024 characters');
  if (/[\x00-\x1f\x7f]/.test(name)) throw new SignatureLineError('E004', 'signature name has control characters');
}

/** Target type: a number, or `*` for any (0). Types above 14 are for newer engines: skipped, as ClamAV does. */
export function parseTargetType(text: string): number {
  if (text === '*') return 0;
  if (!/^\d{1,4}$/.test(text)) throw new SignatureLineError('E007', `target type '${text}' is not a number or '*'`);
  const n = Number(text);
  if (n > 14) throw new SignatureLineError('W101', `target type ${n} is newer than this engine (0 to 14)`);
  return n;
}

/** Checks MinFL/MaxFL fields; returns false when the signature is for another engine level. */
export function checkFunctionalityLevel(min: string | undefined, max: string | undefined): boolean {
  for (const f of [min, max]) {
    if (f !== undefined && f !== '' && f !== '*' && !NUMBER.test(f)) {
      throw new SignatureLineError('E001', `functionality level '${f}' is not a number`);
    }
  }
  if (min !== undefined && NUMBER.test(min) && Number(min) > ENGINE_FUNCTIONALITY_LEVEL) return false;
  if (max !== undefined && NUMBER.test(max) && Number(max) < ENGINE_FUNCTIONALITY_LEVEL) return false;
  return true;
}

/** Compiles hex text into pattern variants, turning syntax errors into E005. */
export function buildPattern(hex: string, offset: Offset, variants: PatternOptions[]): BodyPattern {
  try {
    const vs: PatternVariant[] = variants.map((o) => ({ segments: parsePattern(hex, o) }));
    return { offset, variants: vs };
  } catch (e) {
    if (e instanceof PatternSyntaxError) throw new SignatureLineError('E005', e.message);
    throw e;
  }
}

/** Parses one `.ndb` line; returns null for a signature of another functionality level. */
export function parseNdbLine(line: string): BodySignature | null {
  const f = line.split(':');
  if (f.length < 4 || f.length > 6) throw new SignatureLineError('E001', `expected 4 to 6 ':'-separated fields, got ${f.length}`);
  const [name = '', type = '', offsetText = '', hex = '', minFl, maxFl] = f;
  checkName(name);
  const targetType = parseTargetType(type);
  if (!checkFunctionalityLevel(minFl, maxFl)) return null;
  const offset = parseOffset(offsetText, targetType);
  return { name, targetType, pattern: buildPattern(hex, offset, [{}]) };
}
