/**
 * The directory of a compiled image (image-file.ts) read without the loader's checks: for tools that
 * work on images section by section (the delta writer), whatever their format version or checksum.
 */
import { IMAGE_DIRECTORY_ENTRY_BYTES, IMAGE_HEADER_BYTES, IMAGE_MAGIC } from './image-file.js';

/** One entry of an image's directory. */
export interface ImageSection {
  id: number;
  type: number;
  offset: number;
  length: number;
}

/** The directory of a compiled image, or null when `bytes` is not one with sane bounds (no CRC or version check: any layout works). */
export function readImageDirectory(bytes: Uint8Array): { headerEnd: number; sections: Map<number, ImageSection> } | null {
  if (bytes.length < IMAGE_HEADER_BYTES || Buffer.from(bytes.subarray(0, IMAGE_MAGIC.length)).toString('latin1') !== IMAGE_MAGIC) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint32(24, true); // header offset 24: directory entries (image-file.ts)
  const headerEnd = IMAGE_HEADER_BYTES + IMAGE_DIRECTORY_ENTRY_BYTES * count;
  if (headerEnd > bytes.length) return null;
  const sections = new Map<number, ImageSection>();
  const list: ImageSection[] = [];
  for (let k = 0; k < count; k++) {
    const e = IMAGE_HEADER_BYTES + IMAGE_DIRECTORY_ENTRY_BYTES * k;
    const s = { id: view.getUint32(e, true), type: view.getUint32(e + 4, true), offset: view.getUint32(e + 8, true), length: view.getUint32(e + 12, true) };
    if (s.offset < headerEnd || s.offset + s.length > bytes.length || sections.has(s.id)) return null;
    sections.set(s.id, s);
    list.push(s);
  }
  list.sort((a, b) => a.offset - b.offset);
  for (let k = 1; k < list.length; k++) if (list[k - 1]!.offset + list[k - 1]!.length > list[k]!.offset) return null;
  return { headerEnd, sections };
}
