// Memory stays bounded however long the stream: 512 MiB pass through scanStream while the
// resident set grows by far less, and a pattern split across two chunks is found.
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createScanner } from '../../src/engine/index.js';

const MiB = 1024 * 1024;

function* chunks(total: number, chunk: number, marker: Buffer, splitAt: number): Generator<Buffer> {
  const block = Buffer.alloc(chunk, 0x41);
  for (let sent = 0; sent < total; sent += chunk) {
    const b = Buffer.from(block);
    if (sent === splitAt) marker.copy(b, chunk - 10, 0, 10);
    if (sent === splitAt + chunk) marker.copy(b, 0, 10);
    yield b;
  }
}

describe('scanStream memory', () => {
  it('scans 512 MiB in bounded memory and finds a marker split across chunks', async () => {
    const scanner = await createScanner({ allMatch: true, limits: { maxScanSize: 1024 * MiB } });
    const marker = Buffer.from('VIGIL-TEST-BODY-SIGNATURE');
    const before = process.memoryUsage().rss;
    let peak = before;
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const r = await scanner.scanStream(Readable.from(chunks(512 * MiB, MiB, marker, 300 * MiB)));
    clearInterval(timer);
    peak = Math.max(peak, process.memoryUsage().rss);
    expect(r.size).toBe(512 * MiB);
    expect(r.findings.map((f) => f.signature)).toEqual(['Vigil.Test.Body-1']);
    expect(peak - before).toBeLessThan(96 * MiB);
  });
});
