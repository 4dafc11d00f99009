/**
 * Test helpers: write ClamAV-format database text into a fresh temporary folder and load it,
 * build inputs from readable pieces, and feed inputs to scanStream in chunks.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll } from 'vitest';
import { createScanner, EngineError, type DatabaseProblem, type ScanResult, type Scanner } from '../../src/engine/index.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A fresh folder under the OS temp dir, removed after the test file. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-test-'));
  dirs.push(dir);
  return dir;
}

/** Writes each `name -> content` into a fresh folder and returns the folder. */
export function writeDb(files: Record<string, string | Uint8Array>): string {
  const dir = tempDir();
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

/** Loads the given database files (no image cache) and returns a scanner. */
export async function scannerFor(files: Record<string, string | Uint8Array>, opts: { allMatch?: boolean } = {}): Promise<Scanner> {
  // minScanSize 0: these tests probe boundaries with inputs of a few bytes, which ClamAV (and Vigil by default) leave unscanned.
  return createScanner({ databases: [writeDb(files)], cacheDir: false, allMatch: opts.allMatch ?? true, limits: { minScanSize: 0 } });
}

/** Loads a database that must fail; returns the EngineError. */
export async function loadError(files: Record<string, string | Uint8Array>): Promise<EngineError> {
  try {
    await scannerFor(files);
  } catch (e) {
    if (e instanceof EngineError) return e;
    throw e;
  }
  throw new Error('the database loaded, but an error was expected');
}

/** Problems of a database that must fail to load, reduced to line and code (file name without the folder). */
export async function problemsOf(files: Record<string, string | Uint8Array>): Promise<{ file: string; line: number; code: string }[]> {
  const e = await loadError(files);
  return e.problems.map((p: DatabaseProblem) => ({ file: p.file.split(/[\\/]/).slice(-1)[0]!, line: p.line, code: p.code }));
}

/** Bytes from pieces: strings are latin1 text, numbers are single bytes, arrays are byte lists. */
export function bytes(...parts: (string | number | number[] | Uint8Array)[]): Buffer {
  return Buffer.concat(
    parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : typeof p === 'number' ? Buffer.from([p]) : Buffer.from(p))),
  );
}

/** Hex of latin1 text, for writing signatures readably: hex('ABCD') === '41424344'. */
export function hex(text: string): string {
  return Buffer.from(text, 'latin1').toString('hex');
}

/** Splits a buffer into chunks of `size` bytes (or of the successive sizes given). */
export function chunked(buf: Uint8Array, size: number | number[]): Buffer[] {
  const sizes = Array.isArray(size) ? size : [size];
  const out: Buffer[] = [];
  let at = 0;
  for (let k = 0; at < buf.length; k++) {
    const n = Math.max(1, sizes[k % sizes.length]!);
    out.push(Buffer.from(buf.subarray(at, at + n)));
    at += n;
  }
  return out;
}

/** Scans `buf` as a stream delivered in chunks of `size` bytes. */
export function scanChunked(scanner: Scanner, buf: Uint8Array, size: number | number[]): Promise<ScanResult> {
  return scanner.scanStream(Readable.from(chunked(buf, size)));
}

/** Names of the findings, sorted. */
export function names(r: ScanResult): string[] {
  return r.findings.map((f) => f.signature).sort();
}
