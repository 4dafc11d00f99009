/**
 * The hash signature tables of the image: per algorithm, a detect list and an allow list (.fp, .sfp),
 * each as three parallel sections (digests, sizes, name ids) sorted by the digest's first 4 bytes,
 * ties in insertion order; and per algorithm the sorted set of sizes that makes a file worth hashing.
 */
import { DIGEST_LENGTH, HASH_ALGOS, type HashAlgo } from '../signatures/index.js';
import { GrowableI32, GrowableU8 } from './growable.js';
import type { ImageWriter } from './image-file.js';
import { ANY_SIZE, hashSection, META, sizeSetSection } from '../image-layout.js';

export type HashListName = 'detect' | 'allow';

/** One list of one algorithm, in insertion order: digests, sizes (-1: any) and indices of names. */
class HashList {
  readonly digests = new GrowableU8();
  readonly sizes = new GrowableI32();
  readonly names = new GrowableI32();
  count = 0;
}

/** The hash signatures collected so far, and how many of each list the image holds once written. */
export class HashTables {
  private readonly lists = new Map<string, HashList>();

  /** Adds one entry; `nameIndex` indexes the names given to `write` (0 for allow-list entries). */
  add(list: HashListName, algo: HashAlgo, digest: Uint8Array, size: number | null, nameIndex: number): void {
    const key = `${list}:${algo}`;
    let l = this.lists.get(key);
    if (!l) this.lists.set(key, (l = new HashList()));
    l.digests.push(digest);
    l.sizes.push(size ?? -1);
    l.names.push(nameIndex);
    l.count++;
  }

  /**
   * Writes every table and size set into `w`, name indices mapped through `nameIds` (the name
   * table's ids), and flags `*`-size algorithms in `meta`. Returns the entries of each list.
   */
  write(w: ImageWriter, meta: Uint32Array, nameIds: Uint32Array): { detect: number; allow: number } {
    const counts = { detect: 0, allow: 0 };
    for (const algo of HASH_ALGOS) {
      const sizes = new Set<number>();
      for (const listName of ['detect', 'allow'] as const) {
        const l = this.lists.get(`${listName}:${algo}`);
        const dl = DIGEST_LENGTH[algo];
        const order = l ? sortByDigestPrefix(l, dl) : [];
        const n = order.length;
        const digests = new Uint8Array(n * dl);
        const sizeArr = new Uint32Array(n);
        const names = new Uint32Array(n);
        order.forEach((i, k) => {
          digests.set(l!.digests.data.subarray(i * dl, (i + 1) * dl), k * dl);
          const s = l!.sizes.data[i]!;
          sizeArr[k] = s < 0 ? ANY_SIZE : s;
          names[k] = listName === 'allow' ? 0 : nameIds[l!.names.data[i]!]!;
          if (s < 0) meta[META.MD5_ANY_SIZE + HASH_ALGOS.indexOf(algo)] = 1;
          else sizes.add(s);
        });
        counts[listName] += n;
        w.add(hashSection(algo, listName, 'digests'), digests);
        w.add(hashSection(algo, listName, 'sizes'), sizeArr);
        w.add(hashSection(algo, listName, 'names'), names);
      }
      w.add(sizeSetSection(algo), Uint32Array.from(sizes).sort());
    }
    return counts;
  }
}

/** Entry indices of `l` sorted by their digest's first 4 bytes (big-endian), ties in insertion order. */
function sortByDigestPrefix(l: HashList, digestLength: number): number[] {
  const keys = new BigUint64Array(l.count);
  const dv = new DataView(l.digests.data.buffer);
  for (let i = 0; i < l.count; i++) keys[i] = (BigInt(dv.getUint32(i * digestLength, false)) << 32n) | BigInt(i);
  keys.sort();
  return Array.from(keys, (k) => Number(k & 0xffffffffn));
}
