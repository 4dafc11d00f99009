/**
 * Signed notes of C2SP (c2sp.org/signed-note): a text signed by one or more keys.
 *
 *   <text: one or more lines, each ending in a newline>
 *   <an empty line>
 *   — <key name> <base64(4-byte key ID || signature)>     (one line per signature: em dash U+2014)
 *
 * The note is UTF-8 without control characters other than newline. The signed bytes are the text
 * with its final newline and without the blank line; the text is separated from the signatures by
 * the *last* empty line. A signature line is tied to a key by the pair (name, key ID).
 *
 * openNote follows the verification rules of the spec: signatures by unknown keys are ignored; a
 * signature by a known key must verify, else the whole note is refused (BAD_SIGNATURE); a note
 * with no verified signature from a known key is refused (UNKNOWN_KEY). Parsing is strict and
 * every error names the line.
 */
import { fromBase64Strict, toBase64 } from './bytes.js';
import { TlogError } from './errors.js';
import { formatKeyId, isValidKeyName, sameVerifier, type NoteSigner, type NoteVerifier } from './note-keys.js';

/** The longest note read, in UTF-8 bytes (a checkpoint with 16 large signatures fits well). */
export const NOTE_MAX_BYTES = 256 * 1024;
/** The most signature lines read in one note (the spec asks verifiers to accept at least 16). */
export const NOTE_MAX_SIGNATURES = 100;

export interface NoteSignature {
  name: string;
  keyId: number;
  /** The signature proper, after the 4-byte key ID. */
  signature: Uint8Array;
  /** The line of the note it is on (1-based). */
  line: number;
}

export interface ParsedNote {
  /** The signed text, with its final newline. */
  text: string;
  signatures: NoteSignature[];
}

export interface OpenedNote extends ParsedNote {
  /** Signatures by the given verifiers, all verified. */
  verified: NoteSignature[];
  /** Signatures by keys not given, ignored. */
  unverified: NoteSignature[];
}

const EM_DASH_PREFIX = '\u2014 ';
const CONTROL_RE = /[\u0000-\u0009\u000b-\u001f]/;
const LONE_SURROGATE_RE = /\p{Cs}/u;

/** Throws MALFORMED_NOTE unless `text` can be signed: non-empty lines... ending in a newline. */
export function checkNoteText(text: string): void {
  if (typeof text !== 'string' || !text.endsWith('\n')) throw new TlogError('MALFORMED_NOTE', 'the note text must end with a newline');
  checkCharacters(text, 1);
}

/** The note of `text` signed by each of `signers`, in order. */
export function signNote(text: string, signers: readonly NoteSigner[]): string {
  checkNoteText(text);
  if (signers.length === 0) throw new TlogError('BAD_ARGUMENT', 'a note needs at least one signer');
  const message = Buffer.from(text, 'utf8');
  const lines = signers.map((s) => {
    if (!isValidKeyName(s.name)) throw new TlogError('MALFORMED_KEY', `signer name ${JSON.stringify(s.name)} is not a valid key name`);
    const id = Buffer.from(formatKeyId(s.keyId), 'hex');
    return `${EM_DASH_PREFIX}${s.name} ${toBase64(Buffer.concat([id, s.sign(message)]))}\n`;
  });
  return `${text}\n${lines.join('')}`;
}

/** Reads a note's text and signature lines without verifying anything. Throws MALFORMED_NOTE. */
export function parseNote(note: string | Uint8Array): ParsedNote {
  const text = decode(note);
  checkCharacters(text, 1);
  const split = text.lastIndexOf('\n\n');
  if (split < 0) throw new TlogError('MALFORMED_NOTE', 'no empty line separates the text from the signatures');
  const body = text.slice(0, split + 1);
  const bodyLines = countNewlines(body);
  const rest = text.slice(split + 2);
  const firstSigLine = bodyLines + 2;
  if (rest === '') throw new TlogError('MALFORMED_NOTE', 'the note has no signature lines', { line: firstSigLine });
  if (!rest.endsWith('\n')) throw new TlogError('MALFORMED_NOTE', 'the last signature line does not end with a newline', { line: firstSigLine + countNewlines(rest) });
  const lines = rest.slice(0, -1).split('\n');
  if (lines.length > NOTE_MAX_SIGNATURES) throw new TlogError('MALFORMED_NOTE', `more than ${NOTE_MAX_SIGNATURES} signature lines`, { line: firstSigLine + NOTE_MAX_SIGNATURES });
  const signatures = lines.map((l, i) => parseSignatureLine(l, firstSigLine + i));
  return { text: body, signatures };
}

/**
 * Parses `note` and verifies it against `verifiers` (see the module comment for the rules).
 * Throws MALFORMED_NOTE, BAD_SIGNATURE (naming the line), UNKNOWN_KEY, or BAD_ARGUMENT when two
 * different verifiers share a name and key ID.
 */
export function openNote(note: string | Uint8Array, verifiers: readonly NoteVerifier[]): OpenedNote {
  const byId = new Map<string, NoteVerifier>();
  for (const v of verifiers) {
    const id = `${v.name}+${formatKeyId(v.keyId)}`;
    const other = byId.get(id);
    if (other && !sameVerifier(other, v)) throw new TlogError('BAD_ARGUMENT', `two different verifier keys are both ${id}: ambiguous`);
    byId.set(id, v);
  }
  const parsed = parseNote(note);
  const message = Buffer.from(parsed.text, 'utf8');
  const verified: NoteSignature[] = [];
  const unverified: NoteSignature[] = [];
  for (const sig of parsed.signatures) {
    const v = byId.get(`${sig.name}+${formatKeyId(sig.keyId)}`);
    if (v === undefined) {
      unverified.push(sig);
      continue;
    }
    if (!v.verify(message, sig.signature)) {
      throw new TlogError('BAD_SIGNATURE', `the signature of ${sig.name}+${formatKeyId(sig.keyId)} does not match the note text (the text or the signature was altered)`, { line: sig.line });
    }
    verified.push(sig);
  }
  if (verified.length === 0) {
    const found = parsed.signatures.map((s) => `${s.name}+${formatKeyId(s.keyId)}`).join(', ');
    const known = [...byId.keys()].join(', ') || 'none';
    throw new TlogError('UNKNOWN_KEY', `the note is signed by ${found}, none of which is a trusted key (${known})`);
  }
  return { ...parsed, verified, unverified };
}

function parseSignatureLine(line: string, lineNo: number): NoteSignature {
  const bad = (why: string): never => {
    throw new TlogError('MALFORMED_NOTE', why, { line: lineNo });
  };
  if (!line.startsWith(EM_DASH_PREFIX)) bad('a signature line starts with an em dash (U+2014) and a space');
  const fields = line.slice(EM_DASH_PREFIX.length).split(' ');
  if (fields.length !== 2) bad('a signature line is "— <key name> <base64 signature>"');
  const [name, base64] = fields as [string, string];
  if (!isValidKeyName(name)) bad('the key name is empty or holds a space, a + or a control character');
  const bytes = fromBase64Strict(base64);
  if (bytes === undefined) bad('the signature is not standard padded base64');
  if (bytes!.length < 5) bad('the signature is shorter than a key ID and one byte');
  const keyId = ((bytes![0]! << 24) >>> 0) + (bytes![1]! << 16) + (bytes![2]! << 8) + bytes![3]!;
  return { name, keyId, signature: bytes!.subarray(4), line: lineNo };
}

function decode(note: string | Uint8Array): string {
  if (typeof note === 'string') {
    if (note.length > NOTE_MAX_BYTES || Buffer.byteLength(note, 'utf8') > NOTE_MAX_BYTES) throw new TlogError('MALFORMED_NOTE', `the note is larger than ${NOTE_MAX_BYTES} bytes`);
    return note;
  }
  if (!(note instanceof Uint8Array)) throw new TlogError('MALFORMED_NOTE', 'a note is text or UTF-8 bytes');
  if (note.length > NOTE_MAX_BYTES) throw new TlogError('MALFORMED_NOTE', `the note is larger than ${NOTE_MAX_BYTES} bytes`);
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(note);
  } catch {
    throw new TlogError('MALFORMED_NOTE', 'the note is not UTF-8 text');
  }
}

/** Throws MALFORMED_NOTE naming the line of a control character or a lone surrogate. */
function checkCharacters(text: string, firstLine: number): void {
  const control = CONTROL_RE.exec(text);
  if (control) {
    const code = control[0].charCodeAt(0).toString(16).padStart(2, '0');
    throw new TlogError('MALFORMED_NOTE', `control character U+00${code.toUpperCase()} (only newline is allowed)`, { line: firstLine + countNewlines(text.slice(0, control.index)) });
  }
  const surrogate = LONE_SURROGATE_RE.exec(text);
  if (surrogate) throw new TlogError('MALFORMED_NOTE', 'a lone UTF-16 surrogate (not Unicode text)', { line: firstLine + countNewlines(text.slice(0, surrogate.index)) });
}

function countNewlines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}
