/**
 * The ciphers of compiled AutoIt scripts (autoit.ts), as ClamAV's autoit.c implements them: every
 * field of an entry is XORed with a byte keystream seeded per field. EA05 takes its keystream from a
 * Mersenne Twister (MT19937, each output tempered and shifted right by one); EA06 from a lagged
 * rotate-and-add generator over 17 words (a RanRot variant) with a 16-bit seed. An `AutoItFormat`
 * holds each version's constants: the keys XORed over lengths and sizes, and the seeds.
 */

/** A byte keystream XORed over a field. */
export interface Keystream {
  next(): number;
}

/** EA05: MT19937 seeded with `seed`; each keystream byte is bits 1..8 of a tempered output. */
class TwisterStream implements Keystream {
  private readonly mt = new Uint32Array(624);
  private left = 1;
  private at = 0;

  constructor(seed: number) {
    const mt = this.mt;
    mt[0] = seed >>> 0;
    for (let i = 1; i < 624; i++) {
      const p = mt[i - 1]!;
      mt[i] = (Math.imul(0x6c078965, (p ^ (p >>> 30)) >>> 0) + i) >>> 0;
    }
  }

  private refill(): void {
    const mt = this.mt;
    for (let i = 0; i < 624; i++) {
      const cur = mt[i]!;
      const nxt = mt[(i + 1) % 624]!;
      const y = ((cur & 0x80000000) | (nxt & 0x7fffffff)) >>> 0;
      mt[i] = (mt[(i + 397) % 624]! ^ (y >>> 1) ^ (nxt & 1 ? 0x9908b0df : 0)) >>> 0;
    }
    this.left = 624;
    this.at = 0;
  }

  next(): number {
    if (--this.left === 0) this.refill();
    let r = this.mt[this.at++]!;
    r ^= r >>> 11;
    r ^= (r & 0xff3a58ad) << 7;
    r ^= (r & 0xffffdf8c) << 15;
    r ^= r >>> 18;
    return (r >>> 1) & 0xff;
  }
}

/** EA06: 17 words, each step adds two of them rotated (by 9 and 13); a byte is the top 8 bits of every second step. */
class RanRotStream implements Keystream {
  private readonly w = new Uint32Array(17);
  private a = 0;
  private b = 10;

  constructor(seed: number) {
    let s = seed & 0xffff;
    for (let i = 0; i < 17; i++) {
      s = (1 - Math.imul(s, 0x53a9b4fb)) >>> 0;
      this.w[i] = s;
    }
    for (let i = 0; i < 9; i++) this.step();
  }

  private step(): number {
    const x = this.w[this.a]!;
    const y = this.w[this.b]!;
    const v = ((((x << 9) | (x >>> 23)) >>> 0) + (((y << 13) | (y >>> 19)) >>> 0)) >>> 0;
    this.w[this.a] = v;
    this.a = this.a === 0 ? 16 : this.a - 1;
    this.b = this.b === 0 ? 16 : this.b - 1;
    return v;
  }

  next(): number {
    this.step();
    // ClamAV goes through a double in [0, 1) times 256; that is exactly the top byte of the word.
    return this.step() >>> 24;
  }
}

export interface AutoItFormat {
  version: '05' | '06';
  fileTag: number;
  tagKey: number;
  tagSeed: number;
  pathKey: number;
  pathSeed: number;
  sizeKey: number;
  sumKey: number;
  /** Bytes per string character. */
  width: 1 | 2;
  /** The data's seed, before the header's sum (EA05 only). */
  dataSeed: number;
  keystream: (seed: number) => Keystream;
  /** The flag bit's value that means a literal byte. */
  literalBit: 0 | 1;
  scriptName: string;
}

export const EA05: AutoItFormat = {
  version: '05', fileTag: 0xceb06dff, tagKey: 0x29bc, tagSeed: 0xa25e, pathKey: 0x29ac, pathSeed: 0xf25e,
  sizeKey: 0x45aa, sumKey: 0xc3d2, width: 1, dataSeed: 0x22af, keystream: (s) => new TwisterStream(s),
  literalBit: 0, scriptName: 'script.au3',
};

export const EA06: AutoItFormat = {
  version: '06', fileTag: 0x52ca436b, tagKey: 0xadbc, tagSeed: 0xb33f, pathKey: 0xf820, pathSeed: 0xf479,
  sizeKey: 0x87bc, sumKey: 0xa685, width: 2, dataSeed: 0x2477, keystream: (s) => new RanRotStream(s),
  literalBit: 1, scriptName: 'script.a3x',
};
