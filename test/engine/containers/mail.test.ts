// Mail and encoded documents: MIME and mbox, TNEF, BinHex, RTF objects, HTML data: URIs, each found
// by content and decoded into members; nested in other containers; damaged at every offset and at
// random (fast-check); bombs stopped by the limits within the memory bound.
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, detectContainer, heldBound } from '../../../src/engine/index.js';
import { buildTar, buildZip, fakePe, HASHED, testScanner, testScanners } from './samples.js';
import { buildBinHex, buildHtmlData, buildRtfObject, buildTnef, mbox, message, multipart, partText, uuencode } from './samples-mail.js';
import { expectVerdictsWhenCorrupted, findingNames } from './damage-checks.js';

const MiB = 1024 * 1024;
const t = testScanners('vigil-mail-');

const names = findingNames;
const pe = fakePe('mail');

const mixed = message(multipart([
  partText({ data: Buffer.from('Hello, see attached.\r\n'), encoding: '7bit', type: 'text/plain' }),
  partText({ data: pe, encoding: 'base64', filename: 'setup.exe' }),
  partText({ data: HASHED, encoding: 'quoted-printable', type: 'text/plain; name="known.txt"' }),
  partText({ data: pe, encoding: 'x-uuencode', filename: 'uu.exe' }),
  partText({ data: Buffer.from(`Some text, then a block:\n${uuencode('inline.exe', pe)}bye\n`), encoding: '7bit', type: 'text/plain' }),
], 'b1=_outer'));

describe('MIME mail', () => {
  it('decodes base64, quoted-printable, uuencoded parts and uuencoded blocks in text, naming each from its parameters', async () => {
    expect(detectContainer(mixed)).toBe('mail');
    const r = await t.all.scanBuffer(mixed, { path: 'm.eml' });
    expect(names(r)).toEqual([
      'Test.Container.Hash @ m.eml//known.txt',
      'Test.Container.PE @ m.eml//inline.exe',
      'Test.Container.PE @ m.eml//setup.exe',
      'Test.Container.PE @ m.eml//uu.exe',
    ]);
    expect(r.issues).toBeUndefined();
  });

  it('walks nested multiparts, naming unnamed parts part-N.M', async () => {
    const inner = multipart([
      partText({ data: Buffer.from('plain'), encoding: '7bit', type: 'text/plain' }),
      partText({ data: HASHED, encoding: 'base64', type: 'text/html' }),
    ], 'inner', 'alternative');
    const r = await t.all.scanBuffer(message(multipart([inner, partText({ data: pe, encoding: 'base64' })], 'outer')), { path: 'n.eml' });
    expect(names(r)).toEqual(['Test.Container.Hash @ n.eml//part-1.2', 'Test.Container.PE @ n.eml//part-2']);
  });

  it('reads a single-part message and a message/rfc822 part as mail in turn', async () => {
    const single = message(partText({ data: pe, encoding: 'base64', filename: 'one.exe' }));
    expect(names(await t.all.scanBuffer(single, { path: 's.eml' }))).toEqual(['Test.Container.PE @ s.eml//one.exe']);
    const forwarded = message(multipart([`Content-Type: message/rfc822\r\n\r\n${single.toString('latin1')}`], 'fw'));
    expect(names(await t.all.scanBuffer(forwarded, { path: 'f.eml' }))).toEqual(['Test.Container.PE @ f.eml//part-1//one.exe']);
  });

  it('splits an mbox into its messages', async () => {
    const box = mbox([message(partText({ data: HASHED, encoding: 'base64', filename: 'a.txt' })), mixed]);
    expect(detectContainer(box)).toBe('mbox');
    const r = await t.all.scanBuffer(box, { path: 'inbox' });
    expect(names(r)).toContain('Test.Container.Hash @ inbox//message-1/a.txt');
    expect(names(r)).toContain('Test.Container.PE @ inbox//message-2/setup.exe');
  });

  it('finds a ZIP attached to a mail inside a tar', async () => {
    const zip = buildZip([{ name: 'known.bin', data: HASHED }]);
    const mail = message(multipart([partText({ data: zip, encoding: 'base64', filename: 'docs.zip' })], 'z'));
    const r = await t.all.scanBuffer(buildTar([{ name: 'mail/1.eml', data: mail }]), { path: 't.tar' });
    expect(names(r)).toEqual(['Test.Container.Hash @ t.tar//mail/1.eml//docs.zip//known.bin']);
  });

  it('does not take text that merely has a colon in its first line for mail', () => {
    expect(detectContainer(Buffer.from('Note: this is a text file\nwith no headers at all.\n'))).toBeNull();
    expect(detectContainer(Buffer.from('From: someone\nthis line is no header field\n'))).toBeNull();
    expect(detectContainer(Buffer.from('From the desk of the editor, a letter.\n'))).toBeNull();
  });
});

describe('TNEF, BinHex, RTF, HTML', () => {
  it('extracts TNEF attachments named by their title, before or after the data', async () => {
    const tnef = buildTnef([{ title: 'first.exe', data: pe }, { title: 'second.txt', data: HASHED, titleAfter: true }]);
    expect(detectContainer(tnef)).toBe('tnef');
    expect(names(await t.all.scanBuffer(tnef, { path: 'winmail.dat' }))).toEqual(['Test.Container.Hash @ winmail.dat//second.txt', 'Test.Container.PE @ winmail.dat//first.exe']);
  });

  it('decodes the data fork of a BinHex 4.0 file, run-length encoding included', async () => {
    const data = Buffer.concat([pe, Buffer.alloc(1000), Buffer.from([0x90, 0x90, 0x90, 0x90, 1, 0x90])]);
    const hqx = buildBinHex('app.exe', data);
    expect(detectContainer(hqx)).toBe('binhex');
    expect(names(await t.all.scanBuffer(hqx, { path: 'a.hqx' }))).toEqual(['Test.Container.PE @ a.hqx//app.exe']);
    expect(names(await t.all.scanBuffer(buildBinHex('k', HASHED), { path: 'k.hqx' }))).toEqual(['Test.Container.Hash @ k.hqx//k']);
  });

  it('extracts the file of an RTF Package object, and scans any other object raw', async () => {
    const rtf = buildRtfObject('known.txt', HASHED);
    expect(detectContainer(rtf)).toBe('rtf');
    expect(names(await t.all.scanBuffer(rtf, { path: 'd.rtf' }))).toEqual(['Test.Container.Hash @ d.rtf//known.txt']);
    const other = buildRtfObject('x', pe, 'Word.Document.8');
    expect(names(await t.all.scanBuffer(other, { path: 'o.rtf' }))).toEqual([]);
    const raw = await t.all.scanBuffer(buildRtfObject('x', HASHED, 'Word.Document.8'), { path: 'o.rtf' });
    expect(raw.containers?.objects).toBe(1);
  });

  it('decodes base64 data: URIs in HTML', async () => {
    const html = buildHtmlData([Buffer.from('not it'), HASHED, pe]);
    expect(detectContainer(html)).toBe('html-data');
    expect(names(await t.all.scanBuffer(html, { path: 'p.html' }))).toEqual(['Test.Container.Hash @ p.html//data-2', 'Test.Container.PE @ p.html//data-3']);
    expect(detectContainer(Buffer.from('<html><body>no data here</body></html>'))).toBeNull();
  });
});

const VERDICTS = ['clean', 'infected', 'incomplete'];
const bound = heldBound(DEFAULT_LIMITS);
const samples: [string, Buffer][] = [
  ['mail', mixed],
  ['mbox', mbox([message(partText({ data: HASHED, encoding: 'base64', filename: 'a.txt' })), message(partText({ data: pe, encoding: 'x-uuencode', filename: 'u.exe' }))])],
  ['tnef', buildTnef([{ title: 'a.txt', data: HASHED }, { title: 'b.exe', data: pe, titleAfter: true }])],
  ['binhex', buildBinHex('k.txt', HASHED)],
  ['rtf', buildRtfObject('k.txt', HASHED)],
  ['html', buildHtmlData([HASHED, pe])],
];

describe('damaged mail and encodings', () => {
  for (const [kind, sample] of samples) {
    it(`returns a verdict for ${kind} cut at every offset, and finds the payload whole`, async () => {
      for (let n = 0; n <= sample.length; n++) {
        const r = await t.all.scanBuffer(sample.subarray(0, n), { path: `${kind}@${n}` });
        expect(VERDICTS).toContain(r.verdict);
        expect(r.containers?.peakBytesHeld ?? 0).toBeLessThanOrEqual(bound);
      }
      expect((await t.all.scanBuffer(sample)).verdict).toBe('infected');
    }, 60_000);
  }

  it('returns a verdict for randomly corrupted samples (fast-check)', async () => {
    await expectVerdictsWhenCorrupted(t.all, samples.map(([, s]) => s), bound, 300);
  }, 60_000);
});

describe('bombs in mail and encodings', () => {
  it('stops a mail of many large base64 parts at max-scansize, within the memory bound', async () => {
    const big = Buffer.alloc(3 * MiB, 0x41);
    const parts = Array.from({ length: 6 }, (_, i) => partText({ data: big, encoding: 'base64', filename: `p${i}.bin` }));
    const limits = { ...DEFAULT_LIMITS, maxScanSize: 8 * MiB };
    const r = await (await testScanner(t.dir, { limits })).scanBuffer(message(multipart(parts, 'bomb')), { path: 'bomb.eml' });
    expect(r.verdict).toBe('incomplete');
    expect(r.limit?.name).toBe('max-scansize');
    expect(r.containers?.peakBytesHeld ?? 0).toBeLessThanOrEqual(heldBound(limits));
    expect(r.bytesScanned).toBeLessThanOrEqual(limits.maxScanSize);
  });

  it('stops a base64 part at max-filesize and a BinHex run-length bomb at the compression ratio', async () => {
    const limits = { ...DEFAULT_LIMITS, maxFileSize: MiB };
    const mail = message(partText({ data: Buffer.alloc(2 * MiB, 0x41), encoding: 'base64', filename: 'big.bin' }));
    const r = await (await testScanner(t.dir, { limits })).scanBuffer(mail, { path: 'f.eml' });
    expect(r.limit).toMatchObject({ name: 'max-filesize', path: 'f.eml//big.bin' });
    const rle = buildBinHex('zeros', Buffer.alloc(8 * MiB));
    const ratio = await (await testScanner(t.dir, { limits: { maxCompressionRatio: 5 } })).scanBuffer(rle, { path: 'z.hqx' });
    expect(ratio.limit).toMatchObject({ name: 'max-compression-ratio', path: 'z.hqx//zeros' });
  });

  it('stops multiparts nested past max-recursion and messages past max-files, saying so', async () => {
    let entity = partText({ data: HASHED, encoding: 'base64' });
    for (let i = 0; i < 30; i++) entity = multipart([entity], `level${i}`);
    const deep = await (await testScanner(t.dir, { limits: { maxRecursion: 10 } })).scanBuffer(message(entity), { path: 'deep.eml' });
    expect(deep.verdict).toBe('incomplete');
    expect(deep.limit?.name).toBe('max-recursion');
    const many = message(multipart(Array.from({ length: 50 }, () => partText({ data: Buffer.from('x'), encoding: '7bit' })), 'many'));
    const files = await (await testScanner(t.dir, { limits: { maxFiles: 10 } })).scanBuffer(many, { path: 'many.eml' });
    expect(files.limit).toMatchObject({ name: 'max-files', value: 10 });
  });
});
