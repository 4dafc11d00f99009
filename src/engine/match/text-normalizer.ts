/**
 * ClamAV's text normalisation (libclamav textnorm.c, as observed with clamscan 1.4): ASCII text
 * is scanned a second time lowercased, with every run of whitespace (\t \n \v \f \r space) turned
 * into one space, and other control characters and bytes above 0x7F dropped. Target-type 7
 * signatures apply only to this form; target-type 0 signatures to both forms. Streaming: the only
 * state carried between chunks is whether a space was just written.
 */

const COPY = 0;
const SKIP = 1;
const SPACE = 2;
const ACTION = new Uint8Array(256).fill(SKIP);
for (let c = 0x21; c < 0x7f; c++) ACTION[c] = COPY;
for (const c of [0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20]) ACTION[c] = SPACE;
ACTION[0x7f] = COPY;

export class TextNormalizer {
  private spaceWritten = false;
  private out = new Uint8Array(0);

  /** Returns the normalised form of `chunk` (a view valid until the next call). */
  push(chunk: Uint8Array): Uint8Array {
    if (this.out.length < chunk.length) this.out = new Uint8Array(Math.max(chunk.length, 65536));
    const out = this.out;
    let n = 0;
    let space = this.spaceWritten;
    // eslint-disable-next-line @typescript-eslint/prefer-for-of -- an indexed loop over the bytes: the scan's hot path
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      const a = ACTION[c]!;
      if (a === COPY) {
        out[n++] = c >= 0x41 && c <= 0x5a ? c + 32 : c;
        space = false;
      } else if (a === SPACE && !space) {
        out[n++] = 0x20;
        space = true;
      }
    }
    this.spaceWritten = space;
    return out.subarray(0, n);
  }
}
