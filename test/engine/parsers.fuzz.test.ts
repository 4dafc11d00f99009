// Property tests: every parser either accepts its input or rejects it with its own error type,
// never crashes, hangs, or throws something else, whatever bytes it is given.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EngineError } from '../../src/engine/errors.js';
import { ImageReader } from '../../src/engine/compile/image-file.js';
import { SignatureLineError, parseNdbLine } from '../../src/engine/signatures/body-signature.js';
import { CvdFormatError, readCvd } from '../../src/engine/signatures/cvd.js';
import { parseHashLine } from '../../src/engine/signatures/hash-signature.js';
import { parseLdbLine } from '../../src/engine/signatures/logical-signature.js';
import { TarFormatError } from '../../src/engine/signatures/tar-reader.js';
import { compileSources } from '../../src/engine/database-loader.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

const sigChars = fc.constantFrom(...'0123456789abcdefABCDEF?*{}[]()|!-,:;=<>&#/$ BLWEOFP+'.split(''));
const sigText = fc.array(sigChars, { maxLength: 80 }).map((a) => a.join(''));

function acceptsOrRejects(parse: () => unknown): void {
  try {
    parse();
  } catch (e) {
    if (!(e instanceof SignatureLineError)) throw e;
    expect(e.code).toMatch(/^[EW]\d{3}$/);
    expect(e.message.length).toBeGreaterThan(0);
  }
}

describe('parsers under random input', () => {
  it('.ndb lines', () => {
    fc.assert(fc.property(sigText, sigText, (off, hex) => acceptsOrRejects(() => parseNdbLine(`N:0:${off}:${hex}`))), { numRuns: 3000 });
  });

  it('.ldb lines', () => {
    fc.assert(
      fc.property(sigText, fc.array(sigText, { maxLength: 4 }), (expr, subs) =>
        acceptsOrRejects(() => parseLdbLine(`N;Engine:51-255,Target:0;${expr};${subs.join(';')}`)),
      ),
      { numRuns: 3000 },
    );
  });

  it('hash lines', () => {
    fc.assert(fc.property(fc.string({ maxLength: 120 }), (line) => acceptsOrRejects(() => parseHashLine(line, ['md5', 'sha1', 'sha256']))), { numRuns: 3000 });
  });

  it('.cvd containers', () => {
    const header = Buffer.alloc(512, 0x20);
    header.write('ClamAV-VDB:01 Jan 2026 00-00 +0000:1:1:90:d41d8cd98f00b204e9800998ecf8427e:x:vigil:0');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.boolean(), (body, withHeader) => {
        const data = withHeader ? Buffer.concat([header, body]) : Buffer.from(body);
        try {
          readCvd(data);
        } catch (e) {
          expect(e instanceof CvdFormatError || e instanceof TarFormatError).toBe(true);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('compiled images: any corruption of a real image is refused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-fuzz-'));
    writeFileSync(join(dir, 'a.ndb'), 'A:0:*:0102030405060708\nB:0:10,4:41424344{2-5}45464748\n');
    writeFileSync(join(dir, 'b.hdb'), '44d88612fea8a8f36de82e1278abb02f:68:E\n');
    const { image } = compileSources([dir]);
    fc.assert(
      fc.property(fc.nat(image.length - 1), fc.integer({ min: 1, max: 255 }), fc.nat(image.length), (at, flip, cut) => {
        const bad = Buffer.from(image);
        bad[at]! ^= flip;
        for (const bytes of [bad, image.subarray(0, Math.min(cut, image.length - 1))]) {
          expect(() => new ImageReader(new Uint8Array(bytes), 'x')).toThrow(EngineError);
        }
      }),
      { numRuns: 500 },
    );
  });
});
