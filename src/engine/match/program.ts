/**
 * Verification of one pattern segment at one position. Segments are compiled into a small
 * bytecode so that the image holds them as plain bytes:
 *
 *   END                                  match ends here
 *   LIT   len:u8 bytes[len]              exact bytes
 *   MASK  value:u8 mask:u8               (b & mask) === value  (nibble wildcards, letters in any case)
 *   SET   bits[32]                       b is in the 256-bit set (one-byte alternatives, negated or not)
 *   SKIP  n:u32                          any n bytes
 *   GAP   min:u32 max:u32                any min..max bytes (tries the shortest first)
 *   ALTS  negated:u8 count:u8 { len:u8 (value:u8 mask:u8)[len] }[count]
 *   BEHIND value:u8 mask:u8 min:u8 max:u8  a byte matching value/mask lies min..max bytes before pos
 *   BEFORE class:u8 negated:u8           the byte before pos (or the start of the file) is a boundary
 *   AFTER  class:u8 negated:u8           the byte at pos (or the end of the file) is a boundary
 *   CLASS  class:u8 negated:u8           consumes one boundary byte ((L): `\n` or `\r\n`)
 *
 * Positions below 0 are before the start of the file; `limit` is the end of the available data,
 * which the caller guarantees is the end of the file whenever a match could need more.
 *
 * matchProgram returns the end of the first match found (shortest gaps first), or -1.
 */
export const OP_END = 0;
export const OP_LIT = 1;
export const OP_MASK = 2;
export const OP_SET = 3;
export const OP_SKIP = 4;
export const OP_GAP = 5;
export const OP_ALTS = 6;
export const OP_BEHIND = 7;
export const OP_BEFORE = 8;
export const OP_AFTER = 9;
export const OP_CLASS = 10;
export const CLASS_B = 1;
export const CLASS_L = 2;
export const CLASS_W = 3;

/** ClamAV's word-boundary table: 1 may precede a word, 2 may follow it, 3 both. */
const BOUNDARY = new Uint8Array(256);
for (const c of '\n\r"\'=>') BOUNDARY[c.charCodeAt(0)] = 2;
for (const c of '.<@') BOUNDARY[c.charCodeAt(0)] = 1;
for (const c of ' -/_') BOUNDARY[c.charCodeAt(0)] = 3;
function isAlnum(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
}
/** Is byte b (or -1: the file edge) a boundary of class cls on the given side (1 before, 2 after)? */
function boundary(cls: number, b: number, side: 1 | 2): boolean {
  if (b < 0) return true;
  if (cls === CLASS_B) return (BOUNDARY[b]! & side) !== 0;
  if (cls === CLASS_L) return b === 0x0a || (side === 2 && b === 0x0d);
  return !isAlnum(b);
}

function u32(p: Uint8Array, at: number): number {
  return (p[at]! | (p[at + 1]! << 8) | (p[at + 2]! << 16) | (p[at + 3]! << 24)) >>> 0;
}

/** Does alternative `k` of the ALTS at `pc` match at `pos`? Returns its length or -1. */
function altAt(p: Uint8Array, at: number, data: Uint8Array, pos: number, limit: number): number {
  const len = p[at]!;
  if (pos + len > limit) return -1;
  for (let k = 0; k < len; k++) {
    if ((data[pos + k]! & p[at + 2 + 2 * k]!) !== p[at + 1 + 2 * k]!) return -1;
  }
  return len;
}

export function matchProgram(p: Uint8Array, pc: number, data: Uint8Array, pos: number, limit: number): number {
  for (;;) {
    switch (p[pc]) {
      case OP_END:
        return pos;
      case OP_LIT: {
        const len = p[pc + 1]!;
        if (pos + len > limit) return -1;
        const base = pc + 2;
        for (let k = 0; k < len; k++) if (data[pos + k] !== p[base + k]) return -1;
        pos += len;
        pc = base + len;
        break;
      }
      case OP_MASK:
        if (pos >= limit || (data[pos]! & p[pc + 2]!) !== p[pc + 1]) return -1;
        pos++;
        pc += 3;
        break;
      case OP_SET: {
        if (pos >= limit) return -1;
        const b = data[pos]!;
        if ((p[pc + 1 + (b >> 3)]! & (1 << (b & 7))) === 0) return -1;
        pos++;
        pc += 33;
        break;
      }
      case OP_SKIP:
        pos += u32(p, pc + 1);
        if (pos > limit) return -1;
        pc += 5;
        break;
      case OP_GAP: {
        const min = u32(p, pc + 1);
        const max = u32(p, pc + 5);
        pc += 9;
        for (let g = min; g <= max && pos + g <= limit; g++) {
          const r = matchProgram(p, pc, data, pos + g, limit);
          if (r >= 0) return r;
        }
        return -1;
      }
      case OP_ALTS: {
        const negated = p[pc + 1] === 1;
        const count = p[pc + 2]!;
        let at = pc + 3;
        const starts: number[] = [];
        for (let k = 0; k < count; k++) {
          starts.push(at);
          at += 1 + 2 * p[at]!;
        }
        const next = at;
        if (negated) {
          const len = p[pc + 3]!;
          if (pos + len > limit) return -1;
          for (const s of starts) if (altAt(p, s, data, pos, limit) >= 0) return -1;
          pos += len;
          pc = next;
          break;
        }
        for (const s of starts) {
          const len = altAt(p, s, data, pos, limit);
          if (len < 0) continue;
          const r = matchProgram(p, next, data, pos + len, limit);
          if (r >= 0) return r;
        }
        return -1;
      }
      case OP_BEHIND: {
        const value = p[pc + 1]!;
        const mask = p[pc + 2]!;
        let ok = false;
        for (let k = p[pc + 3]!; k <= p[pc + 4]! && !ok; k++) {
          const at = pos - 1 - k;
          ok = at >= 0 && (data[at]! & mask) === value;
        }
        if (!ok) return -1;
        pc += 5;
        break;
      }
      case OP_BEFORE:
        if (boundary(p[pc + 1]!, pos > 0 ? data[pos - 1]! : -1, 1) === (p[pc + 2] === 1)) return -1;
        pc += 3;
        break;
      case OP_AFTER: {
        const cls = p[pc + 1]!;
        let ok = boundary(cls, pos < limit ? data[pos]! : -1, 2);
        if (cls === CLASS_L && pos < limit && data[pos] === 0x0d) ok = pos + 1 >= limit || data[pos + 1] === 0x0a;
        if (ok === (p[pc + 2] === 1)) return -1;
        pc += 3;
        break;
      }
      case OP_CLASS: {
        if (pos >= limit) return -1;
        const cls = p[pc + 1]!;
        const b = data[pos]!;
        if (cls === CLASS_L) {
          if (b === 0x0a) pos++;
          else if (b === 0x0d && pos + 1 < limit && data[pos + 1] === 0x0a) pos += 2;
          else return -1;
        } else {
          const inClass = cls === CLASS_B ? BOUNDARY[b] !== 0 : !isAlnum(b);
          if (inClass === (p[pc + 2] === 1)) return -1;
          pos++;
        }
        pc += 3;
        break;
      }
      default:
        throw new Error(`corrupt pattern program: opcode ${String(p[pc])} at ${pc}`);
    }
  }
}
