/**
 * The database used when no other is given, so that a fresh install detects the EICAR test file
 * as clamscan does. Its signatures are Vigil's own, written here as ClamAV-format text.
 */
import { DatabaseBuilder } from './compile/index.js';
import { Database } from './database.js';
import { EngineError, isWarning, type DatabaseProblem } from './errors.js';
import { loadSourceBuffer } from './signatures/index.js';

const EICAR_HEX =
  '58354f2150254041505b345c505a58353428505e2937434329377d2445494341522d5354414e444152442d414e544956495255532d544553542d46494c452124482b482a';

export const BUILTIN_SOURCES: Record<string, string> = {
  // The 68-byte EICAR file, by MD5 (the name clamscan reports with the official database).
  'builtin.hdb': '44d88612fea8a8f36de82e1278abb02f:68:Win.Test.EICAR_HDB-1\n',
  'builtin.ndb': [
    // EICAR followed by anything (e.g. a newline): the string must start the file.
    `Eicar-Signature:0:0:${EICAR_HEX}`,
    // Vigil's own test string, anywhere in any file.
    'Vigil.Test.Body-1:0:*:564947494c2d544553542d424f44592d5349474e4154555245',
    '',
  ].join('\n'),
  'builtin.ldb': [
    // Both halves of Vigil's logical test, in either order, the second one at least twice.
    'Vigil.Test.Logical-1;Engine:51-255,Target:0;0&1>1;564947494c2d544553542d504152542d41;564947494c2d544553542d504152542d42',
    '',
  ].join('\n'),
};

let cached: Buffer | null = null;

/** Compiles the built-in sources (a few milliseconds; the result is kept for the process). */
export function builtinImage(): Buffer {
  if (cached) return cached;
  const b = new DatabaseBuilder();
  const problems: DatabaseProblem[] = [];
  for (const [name, text] of Object.entries(BUILTIN_SOURCES)) loadSourceBuffer(name, Buffer.from(text), b, problems, true);
  const errors = problems.filter((p) => !isWarning(p));
  if (errors.length > 0) throw new EngineError('DATABASE_INVALID', 'built-in database is invalid', { problems: errors });
  b.addSource({ name: 'built-in', kind: 'builtin' });
  cached = b.build();
  return cached;
}

export function openBuiltinDatabase(): Database {
  return new Database(builtinImage(), 'built-in database');
}
