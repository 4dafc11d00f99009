/**
 * The readers of the formats unpacked through 7-Zip (seven-zip-archive.ts): one a format, each
 * detected by its own magic and checks, so the registry can place each where its detection belongs
 * (NSIS before the PE overlay, LZMA-alone, which has no magic, after every other format).
 */
import type { LimitName } from '../result.js';
import type { ContainerReader } from './container-reader.js';
import { isSevenZipFormat, sevenZipMembers, type SevenZipFormat } from './seven-zip-archive.js';

/**
 * 7-Zip extracts ahead of the walk, so its reader keeps every limit on what it unpacks: entries,
 * bytes kept (max-scansize), one file's size, bytes produced against the archive's size, and time.
 */
const SEVEN_ZIP_LIMITS: readonly LimitName[] = ['max-files', 'max-filesize', 'max-scansize', 'max-compression-ratio', 'max-scantime'];

export function createSevenZipReader<F extends SevenZipFormat>(format: F): ContainerReader<F> {
  const detect = (b: Uint8Array) => isSevenZipFormat(format, b);
  return {
    name: format,
    detect,
    sniff: detect,
    members: (b, bounds) => sevenZipMembers(format, b, bounds),
    limits: SEVEN_ZIP_LIMITS,
  };
}
