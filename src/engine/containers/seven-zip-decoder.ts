/**
 * ZIP compression methods node:zlib does not have (APPNOTE 4.4.5: 6 Implode, 9 Deflate64), decoded
 * by 7-Zip: the entry's compressed bytes are wrapped in a ZIP of their own (one local header, one
 * central header, the end record; APPNOTE 4.3), which a fresh 7-Zip instance extracts. Each chunk
 * 7-Zip writes goes straight to the sink, and a sink that refuses more stops 7-Zip there (the walk's
 * output buffer is the hard cap, as for deflate).
 */
import type { Decoder } from './decoders.js';
import { ARCHIVE_PATH, OUT_DIR, SevenZipInstance } from './seven-zip.js';
import { SIG_DESCRIPTOR, u32, type ZipRecord } from './zip-layout.js';

/** The ZIP methods 7-Zip decodes for Vigil: Implode, Deflate64, LZMA, XZ, PPMd (APPNOTE 4.4.5). */
export const SEVEN_ZIP_ZIP_METHODS = new Set([6, 9, 14, 95, 98]);

export interface ZipEntryFacts {
  method: number;
  /** General purpose flags of the entry (bit 1-2 carry Implode's dictionary and tree settings). */
  flags: number;
  /** The uncompressed size and CRC-32 the entry declares (Implode needs the size to know where to stop). */
  size: number;
  crc: number;
}

/**
 * Size and CRC of an entry from its local header (APPNOTE 4.3.7), or from the data descriptor after
 * its data when the header defers them (bit 3, APPNOTE 4.3.9); zero when neither is readable.
 */
export function zipEntryFacts(buf: Uint8Array, r: ZipRecord): ZipEntryFacts {
  let crc = u32(buf, r.localAt + 14);
  let size = u32(buf, r.localAt + 22);
  if (r.flags & 0x0008 && size === 0) {
    const at = u32(buf, r.dataEnd) === SIG_DESCRIPTOR ? r.dataEnd + 4 : r.dataEnd;
    crc = u32(buf, at);
    size = u32(buf, at + 8);
  }
  return { method: r.method, flags: r.flags, size: Math.max(0, size), crc: Math.max(0, crc) };
}

const NAME = Buffer.from('entry');

/** A one-entry ZIP around already compressed `data`. */
export function wrapZipEntry(facts: ZipEntryFacts, data: Uint8Array): Uint8Array {
  const flags = facts.flags & 0x0006;
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(flags, 6);
  local.writeUInt16LE(facts.method, 8);
  local.writeUInt32LE(facts.crc >>> 0, 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(facts.size >>> 0, 22);
  local.writeUInt16LE(NAME.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  local.copy(central, 6, 4, 30);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + NAME.length, 12);
  end.writeUInt32LE(local.length + NAME.length + data.length, 16);
  return Buffer.concat([local, NAME, data, central, NAME, end]);
}

export function sevenZipZipDecoder(facts: ZipEntryFacts): Decoder {
  return async (input, sink) => {
    let refused = false;
    const sz = await SevenZipInstance.open(wrapZipEntry(facts, input), {
      maxLines: 200,
      onCreate: () => true,
      onWrite: (_path, chunk) => !(refused = !sink(chunk)),
    });
    const run = sz.run(['x', '-tzip', `-o${OUT_DIR}`, ARCHIVE_PATH]);
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- set by the onWrite callback during run
    if (refused) return { end: 'stopped' };
    if (run.code === 0) return { end: 'complete' };
    const errors = run.lines.filter((l) => /ERROR|Error|Unsupported|stopped/.test(l)).slice(0, 3).join('; ');
    return { end: 'error', detail: `7-Zip: ${errors || `exit code ${String(run.code)}`}` };
  };
}
