/**
 * Checkpoints of C2SP tlog-checkpoint (c2sp.org/tlog-checkpoint): a log's signed tree head, as a
 * signed note (note.ts) whose text is exactly
 *
 *   <origin>                 the log's identity, e.g. `updates.vigil.example/log`
 *   <tree size>              ASCII decimal, no leading zeros (`0` for the empty tree)
 *   <root hash>              standard base64 of the 32-byte RFC 9162 root (MTH)
 *   [extension lines]        optional, non-empty; refused unless allowExtensions
 *
 * Vigil's log writes no extension lines (the spec does not recommend them: monitors cannot audit
 * them), and by default a reader refuses a checkpoint that has some. The log's key name is its
 * origin, as the spec recommends.
 *
 * openCheckpoint verifies before it reads: the signature (note.ts rules), then the text, then the
 * origin the client expects; every failure is a TlogError with its own code and, for the text,
 * the line.
 */
import { fromBase64Strict, toBase64 } from './bytes.js';
import { TlogError } from './errors.js';
import { HASH_SIZE } from './merkle.js';
import { parseVerifierKey, type NoteSigner, type NoteVerifier } from './note-keys.js';
import { openNote, signNote, type OpenedNote } from './note.js';

export interface Checkpoint {
  origin: string;
  size: number;
  /** The 32-byte root hash of the tree of `size` entries. */
  rootHash: Uint8Array;
  /** Extension lines (without newlines); absent or empty for Vigil's log. */
  extensions?: string[];
}

export interface SignedCheckpoint extends Checkpoint {
  /** The whole signed note, as published. */
  note: string;
  /** The names of the trusted keys whose signatures verified. */
  signedBy: string[];
}

export interface CheckpointParseOptions {
  /** Accept extension lines after the root hash (default false). */
  allowExtensions?: boolean;
}

export interface CheckpointOpenOptions extends CheckpointParseOptions {
  /** The log's keys: verifiers or verifier key strings (`<name>+<hex id>+<base64 key>`). */
  verifiers: readonly (NoteVerifier | string)[];
  /** The origin of the log the client means to read; any other is WRONG_ORIGIN. */
  origin: string;
}

const SIZE_RE = /^(?:0|[1-9][0-9]*)$/;

/** The note text of a checkpoint (three lines, plus any extension lines). */
export function formatCheckpointText(checkpoint: Checkpoint): string {
  const { origin, size, rootHash, extensions = [] } = checkpoint;
  if (typeof origin !== 'string' || origin === '' || origin.includes('\n')) throw new TlogError('BAD_ARGUMENT', 'the origin must be one non-empty line');
  if (!Number.isSafeInteger(size) || size < 0) throw new TlogError('BAD_ARGUMENT', `the tree size must be an integer from 0, found ${String(size)}`);
  if (!(rootHash instanceof Uint8Array) || rootHash.length !== HASH_SIZE) throw new TlogError('BAD_ARGUMENT', `the root hash must be ${HASH_SIZE} bytes`);
  for (const e of extensions) if (e === '' || e.includes('\n')) throw new TlogError('BAD_ARGUMENT', 'an extension line must be one non-empty line');
  return [origin, String(size), toBase64(rootHash), ...extensions].map((l) => `${l}\n`).join('');
}

/** Reads a checkpoint's note text (already verified). Throws MALFORMED_CHECKPOINT naming the line. */
export function parseCheckpointText(text: string, options: CheckpointParseOptions = {}): Checkpoint {
  if (!text.endsWith('\n')) throw new TlogError('MALFORMED_CHECKPOINT', 'the checkpoint text must end with a newline');
  const lines = text.slice(0, -1).split('\n');
  const bad = (line: number, why: string): never => {
    throw new TlogError('MALFORMED_CHECKPOINT', why, { line });
  };
  if (lines.length < 3) bad(lines.length + 1, `a checkpoint has an origin, a tree size and a root hash line; this one has ${lines.length} line(s)`);
  const [origin, sizeText, rootText, ...extensions] = lines as [string, string, string, ...string[]];
  if (origin === '') bad(1, 'the origin line is empty');
  if (!SIZE_RE.test(sizeText)) bad(2, `the tree size must be decimal digits without leading zeros, found ${JSON.stringify(sizeText.slice(0, 40))}`);
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size)) bad(2, `the tree size is past ${Number.MAX_SAFE_INTEGER}`);
  const rootHash = fromBase64Strict(rootText);
  if (rootHash === undefined) bad(3, 'the root hash is not standard padded base64');
  if (rootHash!.length !== HASH_SIZE) bad(3, `the root hash is ${rootHash!.length} bytes, expected ${HASH_SIZE}`);
  extensions.forEach((e, i) => {
    if (e === '') bad(4 + i, 'an extension line is empty');
    if (!options.allowExtensions) bad(4 + i, 'unexpected line after the root hash (extension lines are not accepted)');
  });
  return { origin, size, rootHash: rootHash!, ...(extensions.length > 0 ? { extensions } : {}) };
}

/** The signed note of `checkpoint`, signed by `signers` (the log's key first). */
export function signCheckpoint(checkpoint: Checkpoint, signers: NoteSigner | readonly NoteSigner[]): string {
  return signNote(formatCheckpointText(checkpoint), Array.isArray(signers) ? signers : [signers as NoteSigner]);
}

/**
 * Verifies and reads a checkpoint note. Throws TlogError: MALFORMED_NOTE, BAD_SIGNATURE,
 * UNKNOWN_KEY (not signed by any of the verifiers), MALFORMED_CHECKPOINT or WRONG_ORIGIN;
 * MALFORMED_KEY for a verifier key string that does not parse.
 */
export function openCheckpoint(note: string | Uint8Array, options: CheckpointOpenOptions): SignedCheckpoint {
  const verifiers = options.verifiers.map((v) => (typeof v === 'string' ? parseVerifierKey(v) : v));
  if (verifiers.length === 0) throw new TlogError('BAD_ARGUMENT', 'at least one verifier key is needed');
  const opened: OpenedNote = openNote(note, verifiers);
  const checkpoint = parseCheckpointText(opened.text, options);
  if (checkpoint.origin !== options.origin) {
    throw new TlogError('WRONG_ORIGIN', `the checkpoint is for log ${JSON.stringify(checkpoint.origin.slice(0, 200))}, not ${JSON.stringify(options.origin)}`, { line: 1 });
  }
  const text = typeof note === 'string' ? note : Buffer.from(note).toString('utf8');
  return { ...checkpoint, note: text, signedBy: [...new Set(opened.verified.map((s) => s.name))] };
}
