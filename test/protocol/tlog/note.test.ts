// Signed notes (c2sp.org/signed-note). Vectors carried over as data:
// - golang.org/x/mod, sumdb/note/note_test.go: the PeterNeumann and EnochRoot keys, the signed
//   text and its signatures (TestSign, TestOpen, TestNewVerifier, TestNewSigner), and the malformed
//   notes of TestOpen's badMsgs;
// - github.com/google/trillian-examples, formats/log/checkpoint_test.go (TestSumDBNoteParsing and
//   BenchmarkParse): a real checkpoint of sum.golang.org with Go's published key for it, and a
//   witness ("monkeys") signature of the same note.
import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createNoteSigner,
  formatSignerKey,
  formatVerifierKey,
  generateNoteKeys,
  NOTE_MAX_SIGNATURES,
  noteKeyId,
  openNote,
  parseNote,
  parseSignerKey,
  parseVerifierKey,
  signNote,
  TlogError,
  type TlogErrorCode,
} from '../../../src/protocol/tlog/index.js';

const PETER_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const PETER_SKEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const ENOCH_VKEY = 'EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop';
const TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const PETER_SIG = '— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';
const ENOCH_SIG = '— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n';

const SUMDB_VKEY = 'sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8';
const SUMDB_NOTE = 'go.sum database tree\n6476701\nmb8QLQIs0Z0yP5Cstq6guj87oXWeC9gEM8oVikmm9Wk=\n\n— sum.golang.org Az3grsLX85Gz+s1SiTbgkuqxgItqFq7gsMUEyVnrsa9LM7Us9S+1xbFIGu95949rj4nPRYfvimWEPWL+o3GeoWwOoAw=\n';
const MONKEYS_VKEY = 'monkeys+db4d9f7e+AULaJMvTtDLHPUcUrjdDad9vDlh/PTfC2VV60JUtCfWT';
const MONKEYS_SIG = '— monkeys 202ffh9ve46Mqbhuyb4wnC2Pwdan5EsXQym/tF1ggXJqhjGosU4T5intH4iKMRgDLxrnXuIjRaU2NbvAnaepM6Y+8ww=\n';

function codeOf(f: () => unknown): TlogErrorCode | 'none' {
  try {
    f();
  } catch (e) {
    if (e instanceof TlogError) return e.code;
    throw e;
  }
  return 'none';
}

function errorOf(f: () => unknown): TlogError {
  try {
    f();
  } catch (e) {
    if (e instanceof TlogError) return e;
    throw e;
  }
  throw new Error('expected a TlogError');
}

describe('note keys (golang.org/x/mod sumdb/note)', () => {
  it('reads the reference verifier and signer keys, and writes them back byte for byte', () => {
    const peter = parseVerifierKey(PETER_VKEY);
    expect(peter.name).toBe('PeterNeumann');
    expect(peter.keyId).toBe(0xc74f20a3);
    expect(noteKeyId('PeterNeumann', 1, peter.publicKey)).toBe(0xc74f20a3);
    const signer = parseSignerKey(PETER_SKEY);
    expect(signer.name).toBe('PeterNeumann');
    expect(signer.keyId).toBe(0xc74f20a3);
    expect(signer.verifierKey).toBe(PETER_VKEY);
    expect(parseVerifierKey(SUMDB_VKEY).keyId).toBe(0x033de0ae);
  });

  it('refuses every substring and every one-byte change of a verifier key (TestNewVerifier)', () => {
    const bad: string[] = [];
    for (let i = 0; i <= PETER_VKEY.length; i++) {
      for (let j = i + 1; j <= PETER_VKEY.length; j++) if (i !== 0 || j !== PETER_VKEY.length) bad.push(PETER_VKEY.slice(i, j));
    }
    for (let i = 0; i < PETER_VKEY.length; i++) bad.push(PETER_VKEY.slice(0, i) + String.fromCharCode(PETER_VKEY.charCodeAt(i) + 1) + PETER_VKEY.slice(i + 1));
    bad.push('PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY=='); // wrong length key
    bad.push('PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'); // unknown algorithm
    const accepted = bad.filter((k) => codeOf(() => parseVerifierKey(k)) !== 'MALFORMED_KEY');
    expect(accepted).toEqual([]);
  });

  it('refuses every substring and every one-byte change of a signer key (TestNewSigner)', () => {
    const bad: string[] = [];
    for (let i = 0; i <= PETER_SKEY.length; i++) {
      for (let j = i + 1; j <= PETER_SKEY.length; j++) if (i !== 0 || j !== PETER_SKEY.length) bad.push(PETER_SKEY.slice(i, j));
    }
    for (let i = 0; i < PETER_SKEY.length; i++) bad.push(PETER_SKEY.slice(0, i) + String.fromCharCode(PETER_SKEY.charCodeAt(i) + 1) + PETER_SKEY.slice(i + 1));
    const accepted = bad.filter((k) => codeOf(() => parseSignerKey(k)) !== 'MALFORMED_KEY');
    expect(accepted).toEqual([]);
  });

  it('never quotes a signer key in its errors', () => {
    const broken = PETER_SKEY.replace('+c74f20a3+', '+c74f20a4+');
    expect(errorOf(() => parseSignerKey(broken)).message).not.toContain('AYEKFALV');
  });

  it('makes key strings from node:crypto keys that read back', () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const skey = formatSignerKey('vigil.example/log', privateKey);
    const vkey = formatVerifierKey('vigil.example/log', privateKey);
    expect(parseSignerKey(skey).verifierKey).toBe(vkey);
    expect(parseVerifierKey(vkey).keyId).toBe(createNoteSigner('vigil.example/log', privateKey).keyId);
    const generated = generateNoteKeys('other.example');
    expect(parseSignerKey(generated.signerKey).verifierKey).toBe(generated.verifierKey);
    expect(codeOf(() => formatVerifierKey('bad name', privateKey))).toBe('MALFORMED_KEY');
    expect(codeOf(() => formatVerifierKey('a+b', privateKey))).toBe('MALFORMED_KEY');
    expect(codeOf(() => createNoteSigner('x', generateKeyPairSync('ed448').privateKey))).toBe('MALFORMED_KEY');
  });
});

describe('signNote and openNote', () => {
  const peter = parseVerifierKey(PETER_VKEY);
  const enoch = parseVerifierKey(ENOCH_VKEY);

  it('signs the reference text exactly as the reference implementation (TestSign)', () => {
    expect(signNote(TEXT, [parseSignerKey(PETER_SKEY)])).toBe(`${TEXT}\n${PETER_SIG}`);
  });

  it('verifies known keys and sets unknown ones aside (TestOpen)', () => {
    const note = `${TEXT}\n${PETER_SIG}${ENOCH_SIG}`;
    const one = openNote(note, [peter]);
    expect(one.text).toBe(TEXT);
    expect(one.verified.map((s) => s.name)).toEqual(['PeterNeumann']);
    expect(one.unverified.map((s) => s.name)).toEqual(['EnochRoot']);
    const both = openNote(note, [peter, enoch]);
    expect(both.verified.map((s) => [s.name, s.keyId, s.line])).toEqual([
      ['PeterNeumann', 0xc74f20a3, 4],
      ['EnochRoot', 0xaf0cfe78, 5],
    ]);
    expect(codeOf(() => openNote(note, []))).toBe('UNKNOWN_KEY');
    expect(codeOf(() => openNote(note, [parseVerifierKey(generateNoteKeys('PeterNeumann').verifierKey)]))).toBe('UNKNOWN_KEY');
  });

  it('verifies a real sum.golang.org checkpoint and a witness signature of it', () => {
    const opened = openNote(`${SUMDB_NOTE}${MONKEYS_SIG}`, [parseVerifierKey(SUMDB_VKEY), parseVerifierKey(MONKEYS_VKEY)]);
    expect(opened.text).toBe('go.sum database tree\n6476701\nmb8QLQIs0Z0yP5Cstq6guj87oXWeC9gEM8oVikmm9Wk=\n');
    expect(opened.verified.map((s) => s.name)).toEqual(['sum.golang.org', 'monkeys']);
    expect(codeOf(() => openNote(SUMDB_NOTE.replace('6476701', '6476702'), [parseVerifierKey(SUMDB_VKEY)]))).toBe('BAD_SIGNATURE');
  });

  it('refuses a note whose known signature does not verify, naming its line', () => {
    const altered = `${TEXT}\n${PETER_SIG.slice(0, 60)}ABCD${PETER_SIG.slice(60)}`;
    const e = errorOf(() => openNote(altered, [peter]));
    expect(e.code).toBe('BAD_SIGNATURE');
    expect(e.line).toBe(4);
    expect(codeOf(() => openNote(`${TEXT.replace('cryptography', 'cryptographY')}\n${PETER_SIG}`, [peter]))).toBe('BAD_SIGNATURE');
    // One bad signature by a known key refuses the note, even with a good one beside it.
    expect(codeOf(() => openNote(`${TEXT}\n${PETER_SIG}${ENOCH_SIG.slice(0, 60)}ABCD${ENOCH_SIG.slice(60)}`, [peter, enoch]))).toBe('BAD_SIGNATURE');
  });

  it('refuses malformed notes, naming the line (TestOpen badMsgs and more)', () => {
    const cases: [string | Uint8Array, number | undefined][] = [
      [TEXT, undefined], // no blank line and signatures
      [`${TEXT}\n`, 4], // no signature lines
      [`${TEXT}\n${PETER_SIG.slice(0, -1)}`, 4], // no final newline
      [`\u0001${TEXT}\n${PETER_SIG}`, 1],
      [`${TEXT}\n— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=`, 4],
      [`${TEXT}\n${PETER_SIG}Unexpected line.\n`, 5],
      [`${TEXT}\n${PETER_SIG.replace('— ', '- ')}`, 4],
      [`${TEXT}\n${PETER_SIG.replace('=\n', '\n')}`, 4], // unpadded base64
      [`${TEXT}\n— PeterNeumann AAAA\n`, 4], // shorter than a key ID and a byte
      [`${TEXT.replaceAll('\n', '\r\n')}\n${PETER_SIG}`, 1],
      [`${TEXT}\n${PETER_SIG.repeat(NOTE_MAX_SIGNATURES + 1)}`, 4 + NOTE_MAX_SIGNATURES],
      [`${TEXT}\ud800\n\n${PETER_SIG}`, 3],
    ];
    for (const [note, line] of cases) {
      const e = errorOf(() => openNote(note, [peter]));
      expect(e.code, JSON.stringify(note).slice(0, 80)).toBe('MALFORMED_NOTE');
      expect(e.line, JSON.stringify(note).slice(0, 80)).toBe(line);
    }
    const invalidUtf8 = Buffer.concat([Buffer.from([0xff]), Buffer.from(`${TEXT}\n${PETER_SIG}`)]);
    expect(codeOf(() => openNote(invalidUtf8, [peter]))).toBe('MALFORMED_NOTE');
  });

  it('separates text and signatures at the last blank line', () => {
    const signer = parseSignerKey(PETER_SKEY);
    const text = 'first\n\nafter a blank line\n';
    const note = signNote(text, [signer]);
    expect(parseNote(note).text).toBe(text);
    expect(openNote(note, [peter]).text).toBe(text);
    expect(codeOf(() => signNote('no newline', [signer]))).toBe('MALFORMED_NOTE');
    expect(codeOf(() => signNote('tab\there\n', [signer]))).toBe('MALFORMED_NOTE');
    expect(codeOf(() => signNote(TEXT, []))).toBe('BAD_ARGUMENT');
  });

  it('refuses two different verifier keys with one name and key ID as ambiguous', () => {
    const same = { ...peter, publicKey: new Uint8Array(32) };
    expect(codeOf(() => openNote(`${TEXT}\n${PETER_SIG}`, [peter, same]))).toBe('BAD_ARGUMENT');
    expect(codeOf(() => openNote(`${TEXT}\n${PETER_SIG}`, [peter, peter]))).toBe('none');
  });

  it('throws only TlogError on any input (fuzz)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.constantFrom(`${TEXT}\n${PETER_SIG}`).map((s) => s.slice(0, s.length - 3)), fc.uint8Array({ maxLength: 300 })), (input) => {
        const code = codeOf(() => openNote(input, [peter]));
        expect(['MALFORMED_NOTE', 'UNKNOWN_KEY', 'BAD_SIGNATURE', 'none']).toContain(code);
      }),
      { numRuns: 500 },
    );
  });
});
