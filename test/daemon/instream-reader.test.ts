// INSTREAM framing on its own: length-prefixed chunks in any split, the zero length, the limit.
import { describe, expect, it } from 'vitest';
import type { PassThrough } from 'node:stream';
import { InstreamReader } from '../../src/agent/daemon/instream-reader.js';
import type { ScanResult } from '../../src/engine/index.js';
import { chunk, lengthField } from './daemon-helpers.js';

/** A reader whose "scan" collects the bytes it was fed. */
function collecting(maxLength: number) {
  const replies: string[] = [];
  let fed = Buffer.alloc(0);
  const scan = async (feed: PassThrough): Promise<ScanResult> => {
    for await (const c of feed) fed = Buffer.concat([fed, c as Buffer]);
    const infected = fed.includes('BAD');
    return { verdict: infected ? 'infected' : 'clean', infected, findings: infected ? [{ signature: 'Test.Bad', kind: 'body', path: 'stream' }] : [], size: fed.length, bytesScanned: fed.length, fileType: 'unknown', allowListed: false };
  };
  let doneCalls = 0;
  const reader = new InstreamReader(scan, maxLength, (l) => replies.push(l), () => doneCalls++);
  return { reader, replies, fed: () => fed, done: () => doneCalls };
}

describe('InstreamReader', () => {
  it('passes on the data of chunks split anywhere, stops at the zero length and leaves what follows', async () => {
    const { reader, replies, fed, done } = collecting(1024);
    const wire = Buffer.concat([chunk('abc'), chunk('BAD!'), lengthField(0), Buffer.from('zPING\0')]);
    let rest: Buffer = Buffer.alloc(0);
    let progress = 'more';
    // One byte at a time: length fields and data cut in every place.
    for (let i = 0; i < wire.length && progress === 'more'; i++) {
      ({ rest, progress } = reader.consume(Buffer.concat([rest, wire.subarray(i, i + 1)]), () => undefined));
    }
    expect(progress).toBe('end');
    expect(reader.total).toBe(7);
    reader.finish(1024, () => undefined);
    await new Promise((r) => setTimeout(r, 20));
    expect(fed().toString()).toBe('abcBAD!');
    expect(replies).toEqual(['stream: Test.Bad FOUND']);
    expect(done()).toBe(1);
    // What came after the stream is left for the connection (here: nothing yet, it is read later).
    expect(rest.length).toBe(0);
  });

  it('refuses a stream past its limit before taking the chunk, however the length field says it', () => {
    const { reader } = collecting(10);
    expect(reader.consume(Buffer.concat([chunk('12345'), chunk('123456')]), () => undefined).progress).toBe('too-large');
    expect(reader.total).toBe(5);
  });

  it('answers OK for a stream larger than MaxFileSize, as clamd does', async () => {
    const { reader, replies } = collecting(1024);
    expect(reader.consume(Buffer.concat([chunk('BAD BAD'), lengthField(0)]), () => undefined).progress).toBe('end');
    reader.finish(3, () => undefined);
    await new Promise((r) => setTimeout(r, 20));
    expect(replies).toEqual(['stream: OK']);
  });
});
