/**
 * Whether an error thrown by either store's driver is a unique-constraint violation: another row
 * already holds the value (two requests creating the same plan name, the same product, ...).
 * The HTTP layer answers such a violation 409 `conflict` in one place (`registerRoute`), so a race
 * that a route's own check cannot see (both requests check, then both insert) never becomes a 500.
 */

/** better-sqlite3 error codes (SQLite extended result codes, https://sqlite.org/rescode.html#constraint_unique). */
const SQLITE_UNIQUE_CODES: ReadonlySet<string> = new Set(['SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_CONSTRAINT_PRIMARYKEY']);

/** PostgreSQL SQLSTATE 23505 unique_violation (PostgreSQL 15 documentation, Appendix A). */
const POSTGRES_UNIQUE_VIOLATION = '23505';

export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && (SQLITE_UNIQUE_CODES.has(code) || code === POSTGRES_UNIQUE_VIOLATION);
}
