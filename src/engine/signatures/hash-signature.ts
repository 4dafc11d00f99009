/**
 * Whole-file hash signatures (ClamAV docs, "Hash-based signatures"):
 *   .hdb/.hdu, .fp:  MD5:FileSize:Name[:MinFL[:MaxFL]]
 *   .hsb/.hsu, .sfp: HashString:FileSize:Name[:MinFL[:MaxFL]]  (SHA1 or SHA256, told apart by length)
 * FileSize may be `*` (any size; ClamAV requires MinFL 73 on such lines, Vigil accepts it either way).
 */
import { checkFunctionalityLevel, checkName, SignatureLineError } from './body-signature.js';
import { hexToBytes, isHex } from '../../protocol/index.js';
import type { HashAlgo } from './model.js';

const ALGO_BY_LENGTH: Record<number, HashAlgo> = { 32: 'md5', 40: 'sha1', 64: 'sha256' };

export interface ParsedHash {
  algo: HashAlgo;
  digest: Uint8Array;
  size: number | null;
  name: string;
}

/** Parses one hash line; `allowed` restricts the algorithms (MD5 only for .hdb/.fp). Null: other functionality level. */
export function parseHashLine(line: string, allowed: readonly HashAlgo[]): ParsedHash | null {
  const f = line.split(':');
  if (f.length < 3 || f.length > 5) throw new SignatureLineError('E001', `expected 3 to 5 ':'-separated fields, got ${f.length}`);
  const [hex = '', sizeText = '', name = '', minFl, maxFl] = f;
  const algo = ALGO_BY_LENGTH[hex.length];
  if (!algo || !isHex(hex)) {
    throw new SignatureLineError('E002', `hash '${hex.slice(0, 80)}' is not 32, 40 or 64 hex digits`);
  }
  if (!allowed.includes(algo)) {
    throw new SignatureLineError('E002', `a ${algo.toUpperCase()} hash is not allowed in this file type (expected ${allowed.join(' or ').toUpperCase()})`);
  }
  let size: number | null;
  if (sizeText === '*') size = null;
  else if (/^\d{1,10}$/.test(sizeText) && Number(sizeText) > 0 && Number(sizeText) <= 0xfffffffe) size = Number(sizeText);
  else throw new SignatureLineError('E003', `file size '${sizeText}' is not a positive number or '*'`);
  checkName(name);
  if (!checkFunctionalityLevel(minFl, maxFl)) return null;
  return { algo, digest: hexToBytes(hex), size, name };
}
