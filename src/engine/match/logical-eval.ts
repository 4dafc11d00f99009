/**
 * Evaluates a logical signature's expression over its subsignature match counts, with ClamAV's
 * semantics (matcher-ac.c, cli_ac_chklsig): a subsignature is true when it matched; `&`/`|` are
 * true when both/either side is, and then count the sum of their true sides' counts and the union
 * of the subsignatures that made them true; a count condition on a block compares the block's count
 * (0 when the block is false) and, with `,Y`, needs at least Y distinct subsignatures.
 */
import { X } from '../image-layout.js';

const MAX_STACK = 256;
const truth = new Uint8Array(MAX_STACK);
const count = new Float64Array(MAX_STACK);
const idsLo = new Int32Array(MAX_STACK);
const idsHi = new Int32Array(MAX_STACK);

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
}

function compare(op: number, value: number, against: number): boolean {
  return op === 0 ? value === against : op === 1 ? value > against : value < against;
}

/** `counters[first + k]` is the match count of subsignature k. */
export function evaluateLogical(expr: Int32Array, start: number, length: number, counters: Int32Array, first: number): boolean {
  let sp = 0;
  const end = start + length;
  for (let pc = start; pc < end; ) {
    const op = expr[pc]!;
    if (op === X.SUB || op === X.LEAF_CMP) {
      const k = expr[pc + 1]!;
      const c = counters[first + k]!;
      const t = op === X.SUB ? c > 0 : compare(expr[pc + 2]!, c, expr[pc + 3]!);
      truth[sp] = t ? 1 : 0;
      count[sp] = t ? c : 0;
      idsLo[sp] = t && k < 32 ? 1 << k : 0;
      idsHi[sp] = t && k >= 32 ? 1 << (k - 32) : 0;
      sp++;
      pc += op === X.SUB ? 2 : 4;
    } else if (op === X.AND || op === X.OR) {
      sp--;
      const a = sp - 1;
      const t = op === X.AND ? truth[a]! & truth[sp]! : truth[a]! | truth[sp]!;
      const c = (truth[a] ? count[a]! : 0) + (truth[sp] ? count[sp]! : 0);
      truth[a] = t;
      count[a] = t ? c : 0;
      idsLo[a] = t ? idsLo[a]! | idsLo[sp]! : 0;
      idsHi[a] = t ? idsHi[a]! | idsHi[sp]! : 0;
      pc += 1;
    } else if (op === X.CMP) {
      const a = sp - 1;
      const value = truth[a] ? count[a]! : 0;
      const distinct = expr[pc + 3]!;
      let t = compare(expr[pc + 1]!, value, expr[pc + 2]!);
      if (t && distinct > 0) t = popcount(idsLo[a]!) + popcount(idsHi[a]!) >= distinct;
      truth[a] = t ? 1 : 0;
      count[a] = t ? value : 0;
      // A block with a count condition passes its count on, but not its subsignature ids (ClamAV).
      idsLo[a] = 0;
      idsHi[a] = 0;
      pc += 4;
    } else {
      throw new Error(`corrupt logical expression: opcode ${op}`);
    }
    if (sp >= MAX_STACK) throw new Error('logical expression too deep');
  }
  return sp === 1 && truth[0] === 1;
}
