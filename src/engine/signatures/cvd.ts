/**
 * ClamAV database containers `.cvd`, `.cld`, `.cud` (ClamAV docs, "CVD file format"): a 512-byte
 * ASCII header `ClamAV-VDB:BuildTime:Version:Signatures:FunctionalityLevel:MD5:DSig:Builder:STime`
 * padded with spaces, then a tar archive, gzip-compressed in .cvd/.cud and usually plain in .cld.
 * The header's MD5 is of everything after the header.
 */
import { VigilError } from '../../protocol/index.js';
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { readTar, type TarEntry } from './tar-reader.js';

export const CVD_HEADER_LENGTH = 512;
/** Decompressed body limit, so a hostile container cannot exhaust memory (the official main.cvd is ~300 MB unpacked). */
export const MAX_CVD_BODY_BYTES = 2 * 1024 ** 3 - 1;

export interface CvdHeader {
  buildTime: string;
  version: number;
  signatures: number;
  functionalityLevel: number;
  md5: string;
  dsig: string;
  builder: string;
  buildTimestamp: number;
}

export class CvdFormatError extends VigilError {
  readonly code = 'E010';
}

export function parseCvdHeader(buf: Uint8Array): CvdHeader {
  if (buf.length < CVD_HEADER_LENGTH) throw new CvdFormatError(`file is ${buf.length} bytes, shorter than the ${CVD_HEADER_LENGTH}-byte header`);
  const text = Buffer.from(buf.subarray(0, CVD_HEADER_LENGTH)).toString('latin1').trimEnd();
  const f = text.split(':');
  if (f[0] !== 'ClamAV-VDB') throw new CvdFormatError("header does not start with 'ClamAV-VDB:'");
  if (f.length < 9) throw new CvdFormatError(`header has ${f.length} fields, expected 9`);
  const num = (s: string | undefined, what: string): number => {
    if (!s || !/^\d{1,12}$/.test(s)) throw new CvdFormatError(`header field ${what} is not a number: '${s ?? ''}'`);
    return Number(s);
  };
  const md5 = f[5] ?? '';
  if (!/^[0-9a-f]{32}$/i.test(md5)) throw new CvdFormatError(`header MD5 '${md5}' is not 32 hex digits`);
  return {
    buildTime: f[1] ?? '',
    version: num(f[2], 'version'),
    signatures: num(f[3], 'signatures'),
    functionalityLevel: num(f[4], 'functionality level'),
    md5: md5.toLowerCase(),
    dsig: f[6] ?? '',
    builder: f[7] ?? '',
    buildTimestamp: num(f[8], 'build timestamp'),
  };
}

/** Checks the container and returns its header and the files inside it. */
export function readCvd(buf: Uint8Array): { header: CvdHeader; entries: TarEntry[] } {
  const header = parseCvdHeader(buf);
  const body = buf.subarray(CVD_HEADER_LENGTH);
  const md5 = createHash('md5').update(body).digest('hex');
  if (md5 !== header.md5) throw new CvdFormatError(`MD5 of the body is ${md5}, the header says ${header.md5}: the file is corrupt or truncated`);
  let tar: Uint8Array = body;
  if (body[0] === 0x1f && body[1] === 0x8b) {
    try {
      tar = gunzipSync(body, { maxOutputLength: MAX_CVD_BODY_BYTES });
    } catch (e) {
      throw new CvdFormatError(`gzip body cannot be decompressed: ${(e as Error).message}`);
    }
  }
  return { header, entries: readTar(tar) };
}
