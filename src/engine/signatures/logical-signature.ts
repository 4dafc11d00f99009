/**
 * Logical signatures, `.ldb` (ClamAV docs, "Logical signatures"):
 *   SignatureName;TargetDescriptionBlock;LogicalExpression;Subsig0;Subsig1;...
 * Subsignatures are body patterns with an optional `offset:` prefix and `::modifiers` suffix.
 */
import {
  buildPattern,
  checkName,
  ENGINE_FUNCTIONALITY_LEVEL,
  parseOffset,
  parseTargetType,
  SignatureLineError,
} from './body-signature.js';
import type { PatternOptions } from './hex-pattern.js';
import type { BodyPattern, LogicalExpr, LogicalSignature, Offset } from './model.js';

/** ClamAV allows at most 64 subsignatures per logical signature. */
export const MAX_SUBSIGNATURES = 64;

/** Target description keys that restrict matching in ways Vigil does not evaluate yet. */
const UNSUPPORTED_TDB_KEYS = new Set(['EntryPoint', 'NumberOfSections', 'Container', 'Intermediates', 'IconGroup1', 'IconGroup2', 'HandlerType']);

function parseRange(text: string, what: string): { min: number; max: number } {
  const m = /^(\d{1,10})(?:-(\d{1,10}))?$/.exec(text);
  if (!m) throw new SignatureLineError('E009', `${what} '${text}' is not n or n-m`);
  const min = Number(m[1]);
  const max = m[2] === undefined ? min : Number(m[2]);
  if (max < min) throw new SignatureLineError('E009', `${what} '${text}' has max below min`);
  return { min, max };
}

interface TargetDescription {
  targetType: number;
  fileSize: { min: number; max: number } | null;
  engineOk: boolean;
}

export function parseTargetDescription(text: string): TargetDescription {
  const out: TargetDescription = { targetType: 0, fileSize: null, engineOk: true };
  let sawTarget = false;
  for (const item of text.split(',')) {
    const colon = item.indexOf(':');
    if (colon <= 0) throw new SignatureLineError('E009', `target description item '${item}' is not Key:Value`);
    const key = item.slice(0, colon);
    const value = item.slice(colon + 1);
    if (key === 'Engine') {
      const r = parseRange(value, 'Engine');
      out.engineOk = r.min <= ENGINE_FUNCTIONALITY_LEVEL && ENGINE_FUNCTIONALITY_LEVEL <= r.max;
    } else if (key === 'Target') {
      out.targetType = parseTargetType(value);
      sawTarget = true;
    } else if (key === 'FileSize') {
      out.fileSize = parseRange(value, 'FileSize');
    } else if (UNSUPPORTED_TDB_KEYS.has(key)) {
      throw new SignatureLineError('W101', `target description key '${key}' is not supported yet`);
    } else {
      // ClamAV skips signatures with attributes it does not know (they are for newer engines).
      throw new SignatureLineError('W101', `target description key '${key}' is unknown`);
    }
  }
  if (!sawTarget) throw new SignatureLineError('E009', 'target description block has no Target');
  return out;
}

/** Recognises subsignature forms that are not hex patterns and names them. */
function unsupportedSubsigKind(text: string): string | null {
  if (text.startsWith('${') || /^\$\{\d*-\d*\}\d+\$$/.test(text)) return 'macro subsignature';
  if (text.startsWith('fuzzy_img#')) return 'fuzzy image hash subsignature';
  if (/^\d+\((?:<<|>>)/.test(text)) return 'byte compare subsignature';
  if (text.includes('/')) return 'PCRE subsignature';
  return null;
}

export function parseSubsignature(text: string, targetType: number): BodyPattern {
  const kind = unsupportedSubsigKind(text);
  if (kind) throw new SignatureLineError('W101', `${kind} is not supported yet`);
  let body = text;
  let modifiers = '';
  const mod = text.indexOf('::');
  if (mod >= 0) {
    body = text.slice(0, mod);
    modifiers = text.slice(mod + 2);
    if (!/^[iwfa]+$/.test(modifiers)) throw new SignatureLineError('E005', `unknown subsignature modifiers '${modifiers}'`);
  }
  let offset: Offset = { kind: 'any' };
  const colon = body.lastIndexOf(':');
  if (colon >= 0) {
    offset = parseOffset(body.slice(0, colon), targetType);
    body = body.slice(colon + 1);
  }
  const nocase = modifiers.includes('i');
  const wide = modifiers.includes('w');
  const ascii = modifiers.includes('a') || !wide;
  const fullword = modifiers.includes('f');
  const variants: PatternOptions[] = [];
  if (ascii) variants.push({ nocase, fullword });
  if (wide) variants.push({ nocase, fullword, wide: true });
  return buildPattern(body, offset, variants);
}

/**
 * Logical expressions, grouped as ClamAV's evaluator (matcher-ac.c, cli_ac_chklsig) groups them:
 * `&` and `|` have no precedence. Outside parentheses an expression splits at its first operator
 * (`0|1&2` is `0|(1&2)`); inside a parenthesised block at its last one (`(0|1&2)` is `((0|1)&2)`).
 * A count condition `=X`, `>X`, `<X`, `=X,Y`... may follow a subsignature or a block.
 */
export function parseLogicalExpression(text: string, subsigCount: number): LogicalExpr {
  const fail = (why: string): never => {
    throw new SignatureLineError('E008', `logical expression '${text}': ${why}`);
  };
  if (!/^[0-9&|()=<>,]+$/.test(text)) fail('only digits, & | ( ) = < > and , are allowed');
  /** Positions of operators at parenthesis depth 0 of s; fails on unbalanced parentheses. */
  const topOperators = (s: string): number[] => {
    const ops: number[] = [];
    let depth = 0;
    for (let k = 0; k < s.length; k++) {
      const c = s[k];
      if (c === '(') depth++;
      else if (c === ')' && --depth < 0) fail("unbalanced ')'");
      else if ((c === '&' || c === '|') && depth === 0) ops.push(k);
    }
    if (depth !== 0) fail("unbalanced '('");
    return ops;
  };
  const condition = (s: string): { cmp: '=' | '>' | '<'; count: number; distinct: number } | null => {
    if (s === '') return null;
    const m = /^([=<>])(\d{1,9})(?:,(\d{1,9}))?$/.exec(s);
    if (!m) return fail(`'${s}' is not a count condition`);
    return { cmp: m[1] as '=' | '>' | '<', count: Number(m[2]), distinct: m[3] === undefined ? 0 : Number(m[3]) };
  };
  const split = (s: string, at: number): LogicalExpr => ({
    op: s[at] === '&' ? 'and' : 'or',
    left: parse(s.slice(0, at)),
    right: parse(s.slice(at + 1)),
  });
  let depthGuard = 0;
  const parse = (s: string): LogicalExpr => {
    if (s.length === 0) fail('an operand is missing');
    if (++depthGuard > 512) fail('expression is too deeply nested');
    const ops = topOperators(s);
    if (ops.length > 0) return split(s, ops[0]!);
    if (s.startsWith('(')) {
      let depth = 0;
      let close = -1;
      for (let k = 0; k < s.length && close < 0; k++) {
        if (s[k] === '(') depth++;
        else if (s[k] === ')' && --depth === 0) close = k;
      }
      const inner = s.slice(1, close);
      const innerOps = topOperators(inner);
      const node = innerOps.length > 0 ? split(inner, innerOps[innerOps.length - 1]!) : parse(inner);
      const c = condition(s.slice(close + 1));
      return c ? { op: 'cmp', expr: node, ...c } : node;
    }
    const m = /^(\d{1,9})(.*)$/.exec(s);
    if (!m) return fail(`'${s}' is not a subsignature number`);
    const index = Number(m[1]);
    if (index >= subsigCount) fail(`subsignature ${index} does not exist (there are ${subsigCount})`);
    const c = condition(m[2]!);
    // ClamAV ignores ",Y" on a single subsignature.
    return c ? { op: 'cmp', expr: { op: 'sub', index }, ...c, distinct: 0 } : { op: 'sub', index };
  };
  return parse(text);
}

function maxIndex(e: LogicalExpr): number {
  if (e.op === 'sub') return e.index;
  if (e.op === 'cmp') return maxIndex(e.expr);
  return Math.max(maxIndex(e.left), maxIndex(e.right));
}

/** Parses one `.ldb` line; returns null when the signature is for another engine level. */
export function parseLdbLine(line: string): LogicalSignature | null {
  const f = line.split(';');
  if (f.length < 4) throw new SignatureLineError('E001', `expected at least 4 ';'-separated fields, got ${f.length}`);
  const [name = '', tdbText = '', exprText = '', ...subsigTexts] = f;
  checkName(name);
  if (subsigTexts.length > MAX_SUBSIGNATURES) {
    throw new SignatureLineError('E001', `${subsigTexts.length} subsignatures, more than the ${MAX_SUBSIGNATURES} allowed`);
  }
  const tdb = parseTargetDescription(tdbText);
  const expr = parseLogicalExpression(exprText, subsigTexts.length);
  const highest = maxIndex(expr);
  if (highest + 1 !== subsigTexts.length) {
    throw new SignatureLineError('E008', `the expression uses subsignatures 0 to ${highest} but the line has ${subsigTexts.length}`);
  }
  const subsigs = subsigTexts.map((s, k) => {
    try {
      return parseSubsignature(s, tdb.targetType);
    } catch (e) {
      if (e instanceof SignatureLineError) throw new SignatureLineError(e.code, `subsignature ${k}: ${e.message}`);
      throw e;
    }
  });
  if (!tdb.engineOk) return null;
  return { name, targetType: tdb.targetType, fileSize: tdb.fileSize, expr, subsigs };
}
