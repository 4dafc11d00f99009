/**
 * Objects embedded in PowerPoint 97-2003 files ([MS-PPT]): the `PowerPoint Document` stream is a
 * sequence of records (2.3.1 RecordHeader: recVer and recInstance in 16 bits, recType, recLen).
 * An ExOleObjStg record (recType 0x1011, 2.10.34) holds an embedded OLE object: stored as is
 * (recInstance 0), or (recInstance 1) a 4-byte decompressed size then a zlib stream. Each is a
 * member `ExOleObjStg-N` (usually an OLE2 file in turn). Top-level records only are read, as ClamAV
 * does; the decompressed size is ignored (the walk's budgeted buffer takes the output).
 */
import type { Decoder } from './decoders.js';
import type { Member } from './member.js';
import { streamRange, streamSlices, type StreamMap } from './ole2-stream.js';
import { inflateZlib } from './pdf.js';

const RT_EX_OLE_OBJ_STG = 0x1011;
const RECORD_HEADER = 8;

/** The record's body, copied out of the stream's sectors (at most the stream's size), then decoded. */
function objectDecoder(map: StreamMap, from: number, length: number, compressed: boolean): Decoder {
  return async (input, sink) => {
    const body = Buffer.concat([...streamSlices(input, map, from, length)]);
    if (!compressed) return sink(body) ? { end: 'complete' } : { end: 'stopped' };
    return inflateZlib(body, sink);
  };
}

export function* pptObjectMembers(b: Uint8Array, path: string, map: StreamMap, room: number): Generator<Member> {
  let pos = 0;
  let n = 0;
  while (pos + RECORD_HEADER <= map.size && n < room) {
    const h = streamRange(b, map, pos, RECORD_HEADER);
    if (h.length < RECORD_HEADER) return;
    const instance = h.readUInt16LE(0) >> 4;
    const type = h.readUInt16LE(2);
    const length = h.readUInt32LE(4);
    const body = pos + RECORD_HEADER;
    if (length === 0) return;
    if (type === RT_EX_OLE_OBJ_STG) {
      n++;
      const compressed = instance === 1;
      const from = compressed ? body + 4 : body;
      yield { kind: 'compressed', name: `${path}/ExOleObjStg-${n}`, input: b, decoder: objectDecoder(map, from, Math.max(0, body + length - from), compressed) };
    }
    pos = body + length;
  }
}
