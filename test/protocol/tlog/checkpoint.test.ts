// Checkpoints (c2sp.org/tlog-checkpoint): signed, opened, and every kind of tampering refused with
// its own code. The example checkpoint of the spec and a real sum.golang.org checkpoint (from
// github.com/google/trillian-examples formats/log/checkpoint_test.go) are read as vectors.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatCheckpointText,
  generateNoteKeys,
  hashLeaf,
  openCheckpoint,
  parseCheckpointText,
  parseNote,
  parseSignerKey,
  signCheckpoint,
  signNote,
  TlogError,
  type Checkpoint,
} from '../../../src/protocol/tlog/index.js';

const ORIGIN = 'updates.vigil.example/log';
const keys = generateNoteKeys(ORIGIN);
const signer = parseSignerKey(keys.signerKey);
const checkpoint: Checkpoint = { origin: ORIGIN, size: 1234, rootHash: hashLeaf(Buffer.from('root')) };
const note = signCheckpoint(checkpoint, signer);
const open = (text: string | Uint8Array, options: Partial<Parameters<typeof openCheckpoint>[1]> = {}) => openCheckpoint(text, { verifiers: [keys.verifierKey], origin: ORIGIN, ...options });

function errorOf(f: () => unknown): TlogError {
  try {
    f();
  } catch (e) {
    if (e instanceof TlogError) return e;
    throw e;
  }
  throw new Error('expected a TlogError');
}

/** Flips a bit of byte `at` of the base64 (key ID, then signature) of signature line `n`. */
function flipSignatureBit(text: string, n: number, at: number): string {
  const lines = text.split('\n');
  const [dash, name, b64] = lines[n - 1]!.split(' ') as [string, string, string];
  const bytes = Buffer.from(b64, 'base64');
  bytes[at]! ^= 0x01;
  lines[n - 1] = `${dash} ${name} ${bytes.toString('base64')}`;
  return lines.join('\n');
}

/** Replaces line `n` (1-based) of `text`. */
const withLine = (text: string, n: number, line: string) => text.split('\n').map((l, i) => (i === n - 1 ? line : l)).join('\n');

describe('checkpoint text', () => {
  it('writes origin, size and base64 root, one a line', () => {
    expect(formatCheckpointText({ origin: 'example.com/log', size: 0, rootHash: new Uint8Array(32) })).toBe('example.com/log\n0\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n');
  });

  it('reads the example of the spec', () => {
    const example =
      'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n';
    const parsed = parseNote(example);
    const cp = parseCheckpointText(parsed.text);
    expect(cp.origin).toBe('example.com/behind-the-sofa');
    expect(cp.size).toBe(20852163);
    expect(Buffer.from(cp.rootHash).toString('base64')).toBe('CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=');
    expect(parsed.signatures[0]!.name).toBe('example.com/behind-the-sofa');
    expect(parsed.signatures[0]!.signature.length).toBe(64);
  });

  it('opens a real sum.golang.org checkpoint with its published key', () => {
    const sumdb = 'go.sum database tree\n6476701\nmb8QLQIs0Z0yP5Cstq6guj87oXWeC9gEM8oVikmm9Wk=\n\n— sum.golang.org Az3grsLX85Gz+s1SiTbgkuqxgItqFq7gsMUEyVnrsa9LM7Us9S+1xbFIGu95949rj4nPRYfvimWEPWL+o3GeoWwOoAw=\n';
    const opened = openCheckpoint(sumdb, { verifiers: ['sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8'], origin: 'go.sum database tree' });
    expect(opened.size).toBe(6476701);
    expect(opened.signedBy).toEqual(['sum.golang.org']);
    expect(errorOf(() => openCheckpoint(sumdb, { verifiers: ['sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8'], origin: 'Go rocks but I might have the wrong ID' })).code).toBe('WRONG_ORIGIN');
  });

  it('round-trips any checkpoint (property)', () => {
    const origin = fc.stringMatching(/^[a-z0-9./_-]{1,40}$/);
    fc.assert(
      fc.property(origin, fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (o, size, rootHash) => {
        expect(parseCheckpointText(formatCheckpointText({ origin: o, size, rootHash }))).toEqual({ origin: o, size, rootHash });
      }),
    );
  });
});

describe('openCheckpoint', () => {
  it('opens what signCheckpoint signs', () => {
    const opened = open(note);
    expect(opened).toMatchObject({ origin: ORIGIN, size: 1234, signedBy: [ORIGIN], note });
    expect(opened.rootHash).toEqual(checkpoint.rootHash);
    expect(open(Buffer.from(note)).size).toBe(1234);
  });

  it('refuses tampering, each with its reason', () => {
    const otherKeys = generateNoteKeys(ORIGIN);
    const cases: [string, string, string, number | undefined][] = [
      ['changed size', withLine(note, 2, '1235'), 'BAD_SIGNATURE', 5],
      ['changed root', withLine(note, 3, Buffer.from(hashLeaf(Buffer.from('other'))).toString('base64')), 'BAD_SIGNATURE', 5],
      ['changed origin', withLine(note, 1, 'evil.example/log'), 'BAD_SIGNATURE', 5],
      ['changed signature', flipSignatureBit(note, 5, 10), 'BAD_SIGNATURE', 5],
      ['changed key ID', flipSignatureBit(note, 5, 0), 'UNKNOWN_KEY', undefined],
      ['line added to the text', note.replace('\n\n', '\nextra\n\n'), 'BAD_SIGNATURE', 6],
      ['line added after the signature', `${note}trailing\n`, 'MALFORMED_NOTE', 6],
      // The last blank line separates text from signatures: now nothing follows it.
      ['blank line added after the signature', `${note}\n`, 'MALFORMED_NOTE', 7],
      ['signature line removed', note.split('\n').slice(0, 4).join('\n') + '\n', 'MALFORMED_NOTE', 5],
      ['blank line removed', note.replace('\n\n', '\n'), 'MALFORMED_NOTE', undefined],
      ['root line removed', note.split('\n').filter((_, i) => i !== 2).join('\n'), 'BAD_SIGNATURE', 4],
      ['signed by another key of the same name', signCheckpoint(checkpoint, parseSignerKey(otherKeys.signerKey)), 'UNKNOWN_KEY', undefined],
      ['signed by a key of another name', signCheckpoint(checkpoint, parseSignerKey(generateNoteKeys('someone.else').signerKey)), 'UNKNOWN_KEY', undefined],
      ['signed for another log', signCheckpoint({ ...checkpoint, origin: 'other.example/log' }, signer), 'WRONG_ORIGIN', 1],
      ['signed with a size of leading zeros', signNote(`${ORIGIN}\n01234\n${Buffer.from(checkpoint.rootHash).toString('base64')}\n`, [signer]), 'MALFORMED_CHECKPOINT', 2],
      ['signed with a short root', signNote(`${ORIGIN}\n1234\nAAAA\n`, [signer]), 'MALFORMED_CHECKPOINT', 3],
      ['signed without a root line', signNote(`${ORIGIN}\n1234\n`, [signer]), 'MALFORMED_CHECKPOINT', 3],
      ['signed with an extension line', signCheckpoint({ ...checkpoint, extensions: ['note: hello'] }, signer), 'MALFORMED_CHECKPOINT', 4],
      ['signed with a size past 2^53', signNote(`${ORIGIN}\n9007199254740993\n${Buffer.from(checkpoint.rootHash).toString('base64')}\n`, [signer]), 'MALFORMED_CHECKPOINT', 2],
    ];
    for (const [what, text, code, line] of cases) {
      const e = errorOf(() => open(text));
      expect([what, e.code, e.line]).toEqual([what, code, line]);
    }
  });

  it('accepts extension lines only when asked to', () => {
    const withExtension = signCheckpoint({ ...checkpoint, extensions: ['note: hello'] }, signer);
    expect(open(withExtension, { allowExtensions: true }).extensions).toEqual(['note: hello']);
  });

  it('keeps a checkpoint that a witness cosigned, and refuses one whose witness signature was altered', () => {
    const witness = generateNoteKeys('witness.example');
    const cosigned = signCheckpoint(checkpoint, [signer, parseSignerKey(witness.signerKey)]);
    expect(open(cosigned).signedBy).toEqual([ORIGIN]);
    expect(open(cosigned, { verifiers: [keys.verifierKey, witness.verifierKey] }).signedBy).toEqual([ORIGIN, 'witness.example']);
    const e = errorOf(() => open(flipSignatureBit(cosigned, 6, 40), { verifiers: [keys.verifierKey, witness.verifierKey] }));
    expect([e.code, e.line]).toEqual(['BAD_SIGNATURE', 6]);
  });

  it('refuses a verifier key string that does not parse', () => {
    expect(errorOf(() => open(note, { verifiers: ['not a key'] })).code).toBe('MALFORMED_KEY');
    expect(errorOf(() => open(note, { verifiers: [] })).code).toBe('BAD_ARGUMENT');
  });
});
