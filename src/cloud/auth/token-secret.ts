/**
 * Bearer tokens: `vigil_<token id>.<secret>`, the secret 32 random bytes in base64url. Only the
 * SHA-256 of the secret is stored; a high-entropy random secret needs no slow hash (nothing to
 * brute-force), and the id lets the check find the row without scanning. Comparison is constant
 * time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const PREFIX = 'vigil_';
const TOKEN_PATTERN = /^vigil_(tok_[A-Za-z0-9_-]{12,40})\.([A-Za-z0-9_-]{43})$/;

export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('base64url')}`;
}

export function newTokenSecret(): { id: string; secret: string; token: string; secretHash: string } {
  const id = newId('tok');
  const secret = randomBytes(32).toString('base64url');
  return { id, secret, token: `${PREFIX}${id}.${secret}`, secretHash: hashSecret(secret) };
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function parseToken(token: string): { id: string; secret: string } | null {
  const m = TOKEN_PATTERN.exec(token);
  return m ? { id: m[1]!, secret: m[2]! } : null;
}

export function secretMatches(secret: string, storedHash: string): boolean {
  const a = Buffer.from(hashSecret(secret), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
