/** Encodes the tokens of one segment into the bytecode that match/program.ts interprets. */
import type { Token } from '../signatures/index.js';
import {
  CLASS_B, CLASS_L, CLASS_W, OP_AFTER, OP_ALTS, OP_BEFORE, OP_BEHIND, OP_CLASS, OP_END, OP_GAP, OP_LIT, OP_MASK, OP_SET, OP_SKIP,
} from '../match/index.js';

const CLASS_CODE = { B: CLASS_B, L: CLASS_L, W: CLASS_W } as const;

function pushU32(out: number[], v: number): void {
  out.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
}

export function encodeSegment(tokens: Token[]): number[] {
  const out: number[] = [];
  let lit: number[] = [];
  const flush = () => {
    for (let i = 0; i < lit.length; i += 255) {
      const part = lit.slice(i, i + 255);
      out.push(OP_LIT, part.length, ...part);
    }
    lit = [];
  };
  for (const t of tokens) {
    if (t.t === 'byte' && t.mask === 0xff) {
      lit.push(t.value);
      continue;
    }
    flush();
    switch (t.t) {
      case 'byte':
        if (t.mask === 0) {
          out.push(OP_SKIP);
          pushU32(out, 1);
        } else out.push(OP_MASK, t.value, t.mask);
        break;
      case 'set':
        out.push(OP_SET, ...t.bits);
        break;
      case 'gap':
        if (t.min === t.max) {
          out.push(OP_SKIP);
          pushU32(out, t.min);
        } else {
          out.push(OP_GAP);
          pushU32(out, t.min);
          pushU32(out, t.max);
        }
        break;
      case 'behind':
        out.push(OP_BEHIND, t.value, t.mask, t.min, t.max);
        break;
      case 'class':
        out.push(t.where === 'before' ? OP_BEFORE : t.where === 'after' ? OP_AFTER : OP_CLASS, CLASS_CODE[t.cls], t.negated ? 1 : 0);
        break;
      case 'alts':
        if (t.items.length > 255) throw new Error('more than 255 alternatives');
        out.push(OP_ALTS, t.negated ? 1 : 0, t.items.length);
        for (const it of t.items) {
          if (it.value.length > 255) throw new Error('alternative longer than 255 bytes');
          out.push(it.value.length);
          it.value.forEach((v, k) => out.push(v, it.mask[k]!));
        }
        break;
    }
  }
  flush();
  out.push(OP_END);
  return out;
}
