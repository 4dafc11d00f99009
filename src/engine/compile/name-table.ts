/**
 * Signature names of the hash tables, front-coded: names are sorted and stored in blocks of
 * NAME_BLOCK; the first of a block is whole, each next one is (bytes shared with the previous,
 * length of the rest, the rest). Official names share long family prefixes
 * (`Win.Trojan.Agent-1234567-0`, `Win.Trojan.Agent-1234568-0`), so this takes a fraction of the
 * space of plain strings, and a name is decoded only when its signature matched.
 */

export const NAME_BLOCK = 16;

function pushVarint(out: number[], v: number): void {
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
}

export interface NameTable {
  /** Id of each input name (equal names share one id). */
  ids: Uint32Array;
  /** Byte offset of each block in `data`. */
  blocks: Uint32Array;
  data: Uint8Array;
}

export function buildNameTable(names: string[]): NameTable {
  const order = names.map((_, i) => i).sort((a, b) => (names[a]! < names[b]! ? -1 : names[a]! > names[b]! ? 1 : 0));
  const ids = new Uint32Array(names.length);
  const blocks: number[] = [];
  const chunks: Buffer[] = [];
  let size = 0;
  let pending: number[] = [];
  const flush = () => {
    const b = Buffer.from(pending);
    chunks.push(b);
    size += b.length;
    pending = [];
  };
  let prev: Buffer | null = null;
  let prevName: string | null = null;
  let count = 0;
  for (const i of order) {
    const name = names[i]!;
    if (name === prevName) {
      ids[i] = count - 1;
      continue;
    }
    const bytes = Buffer.from(name, 'utf8');
    if (count % NAME_BLOCK === 0) {
      flush();
      blocks.push(size);
      pushVarint(pending, bytes.length);
      for (const x of bytes) pending.push(x);
    } else {
      let shared = 0;
      const max = Math.min(prev!.length, bytes.length, 255);
      while (shared < max && prev![shared] === bytes[shared]) shared++;
      pending.push(shared);
      pushVarint(pending, bytes.length - shared);
      for (let k = shared; k < bytes.length; k++) pending.push(bytes[k]!);
    }
    ids[i] = count++;
    prev = bytes;
    prevName = name;
  }
  flush();
  return { ids, blocks: Uint32Array.from(blocks), data: new Uint8Array(Buffer.concat(chunks)) };
}

export function readName(blocks: Uint32Array, data: Uint8Array, id: number): string {
  let at = blocks[Math.floor(id / NAME_BLOCK)]!;
  const varint = (): number => {
    let v = 0;
    let shift = 0;
    for (;;) {
      const b = data[at++]!;
      v |= (b & 0x7f) << shift;
      if (b < 0x80) return v >>> 0;
      shift += 7;
    }
  };
  let len = varint();
  let name = Buffer.from(data.subarray(at, at + len));
  at += len;
  for (let k = id % NAME_BLOCK; k > 0; k--) {
    const shared = data[at++]!;
    len = varint();
    name = Buffer.concat([name.subarray(0, shared), data.subarray(at, at + len)]);
    at += len;
  }
  return name.toString('utf8');
}
