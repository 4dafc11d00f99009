/**
 * The logical signature tables of the image: a LOGICAL record per signature (layout.ts L) and its
 * expression as a postfix program in LOGICAL_EXPR (layout.ts X); the subsignatures themselves are
 * patterns (pattern-tables.ts). Signatures whose expression holds with no subsignature hit at all
 * (`0=0`, `0<1`) are listed apart, since no atom ever triggers them.
 */
import { evaluateLogical } from '../match/index.js';
import type { LogicalExpr, LogicalSignature } from '../signatures/index.js';
import { GrowableI32 } from './growable.js';
import { CMP_OPS, L, X } from '../image-layout.js';

export class LogicalTables {
  readonly records = new GrowableI32();
  readonly expr = new GrowableI32();
  /** Subsignature counters allotted so far (each signature's first one is in its record). */
  private counters = 0;

  /** Adds `sig`, whose name is at `nameOffset` in STRINGS. */
  add(sig: LogicalSignature, nameOffset: number): void {
    const exprStart = this.expr.length;
    encodeLogicalExpr(sig.expr, this.expr);
    this.records.push(
      nameOffset, sig.targetType,
      sig.fileSize ? Math.min(sig.fileSize.min, 0x7fffffff) : -1,
      sig.fileSize ? Math.min(sig.fileSize.max, 0x7fffffff) : -1,
      exprStart, this.expr.length - exprStart, this.counters, sig.subsigs.length,
    );
    this.counters += sig.subsigs.length;
  }
}

/** Indices of the logical signatures in `records` whose expression in `expr` holds with zero hits. */
export function listZeroTrueLogicals(records: Int32Array, expr: Int32Array): Int32Array {
  const zeroTrue: number[] = [];
  const zeros = new Int32Array(64);
  for (let k = 0; k < records.length / L.FIELDS; k++) {
    if (evaluateLogical(expr, records[k * L.FIELDS + L.EXPR_START]!, records[k * L.FIELDS + L.EXPR_LENGTH]!, zeros, 0)) zeroTrue.push(k);
  }
  return Int32Array.from(zeroTrue);
}

/** Appends `e` to `out` in postfix order (layout.ts X). */
function encodeLogicalExpr(e: LogicalExpr, out: GrowableI32): void {
  switch (e.op) {
    case 'sub':
      out.push(X.SUB, e.index);
      break;
    case 'and':
    case 'or':
      encodeLogicalExpr(e.left, out);
      encodeLogicalExpr(e.right, out);
      out.push(e.op === 'and' ? X.AND : X.OR);
      break;
    case 'cmp':
      if (e.expr.op === 'sub') {
        out.push(X.LEAF_CMP, e.expr.index, CMP_OPS.indexOf(e.cmp), e.count);
        break;
      }
      encodeLogicalExpr(e.expr, out);
      out.push(X.CMP, CMP_OPS.indexOf(e.cmp), e.count, e.distinct);
      break;
  }
}
