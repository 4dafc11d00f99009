/**
 * NSIS samples: a PE whose overlay holds NSIS's first header at a 512-byte aligned offset (flags,
 * 0xDEADBEEF, "NullsoftInst", the header's and the data's lengths), which is what Vigil detects; what
 * follows is not a real installer (writing one means writing NSIS's script header), so 7-Zip
 * answers it as damaged.
 */
import { buildPe } from './pe-overlay.js';
import { deriveSampleSet, scramble } from './sample-set.js';

export function buildNsisLike(body: Uint8Array): Buffer {
  const first = Buffer.alloc(28);
  first.writeUInt32LE(0, 0);
  first.writeUInt32LE(0xdeadbeef, 4);
  first.write('NullsoftInst', 8, 'latin1');
  first.writeUInt32LE(body.length, 20);
  first.writeUInt32LE(28 + body.length, 24);
  // buildPe's overlay starts at 0x400, on the 512-byte grid.
  return buildPe(Buffer.concat([first, Buffer.from(body)]));
}

export const nsisSamples = deriveSampleSet(() => buildNsisLike(Buffer.alloc(600, 0x11)), {
  // The first header kept, what follows it cut or overwritten.
  cut: () => 0x400 + 28 + 100,
  corrupt: (b) => scramble(b, 0x400 + 28, 200),
  detectedOnly: 'no NSIS script header is written here, only the first header Vigil detects',
});
