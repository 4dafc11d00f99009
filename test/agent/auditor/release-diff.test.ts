// Signature names read from compiled images, and the diff between two audited releases.
import { describe, expect, it } from 'vitest';
import { Database } from '../../../src/engine/index.js';
import { diffReleases } from '../../../src/agent/auditor/release-diff.js';
import { diffSignatures, listSignatures } from '../../../src/agent/auditor/signature-names.js';
import { folderSource } from '../../../src/agent/auditor/repo-source.js';
import { compileImage, publisher, tempDir } from './auditor-fixtures.js';

const HDB = (names: string[]) => `${names.map((n, i) => `${(i + 1).toString(16).padStart(32, 'a')}:${10 + i}:${n}`).join('\n')}\n`;
const NDB = (names: string[]) => `${names.map((n, i) => `${n}:0:*:${(0xdead00 + i).toString(16)}beef`).join('\n')}\n`;
const LDB = (names: string[]) => `${names.map((n, i) => `${n};Target:0;0;${(0xcafe00 + i).toString(16)}babe`).join('\n')}\n`;

describe('listSignatures', () => {
  it('finds every signature of an image by kind and name, as many as the image counts', () => {
    const db = new Database(compileImage({ 'a.hdb': HDB(['Hash.One', 'Hash.Two']), 'b.ndb': NDB(['Body.One']), 'c.ldb': LDB(['Logical.One']) }), 'test');
    const list = listSignatures(db);
    const info = db.info();
    expect(list.filter((s) => s.kind === 'hash')).toHaveLength(info.hashSignatures);
    expect(list.filter((s) => s.kind === 'body')).toHaveLength(info.bodySignatures);
    expect(list.filter((s) => s.kind === 'logical')).toHaveLength(info.logicalSignatures);
    // Names as scan results show them: signatures from unsigned sources end in .UNOFFICIAL, as in ClamAV.
    expect(list.map((s) => `${s.kind} ${s.name}`).sort()).toEqual(['body Body.One.UNOFFICIAL', 'hash Hash.One.UNOFFICIAL', 'hash Hash.Two.UNOFFICIAL', 'logical Logical.One.UNOFFICIAL']);
  });

  it('counts names added and removed', () => {
    const d = diffSignatures(
      [{ kind: 'hash', name: 'A' }, { kind: 'hash', name: 'A' }, { kind: 'body', name: 'B' }],
      [{ kind: 'hash', name: 'A' }, { kind: 'body', name: 'C' }],
    );
    expect(d).toEqual({ added: [{ kind: 'body', name: 'C', count: 1 }], removed: [{ kind: 'hash', name: 'A', count: 1 }, { kind: 'body', name: 'B', count: 1 }] });
  });
});

describe('diffReleases', () => {
  it('shows the signatures added and removed between two releases, by name', async () => {
    const p = await publisher();
    await p.publish(compileImage({ 'a.hdb': HDB(['Hash.Kept', 'Hash.Dropped']), 'b.ndb': NDB(['Body.Old']) }));
    await p.publish(compileImage({ 'a.hdb': HDB(['Hash.Kept']), 'b.ndb': NDB(['Body.New']) }));
    await p.publish(compileImage({ 'a.hdb': HDB(['Hash.Kept', 'Hash.Added']), 'b.ndb': NDB(['Body.New']) }));
    const options = { source: folderSource(await p.export()), stateDir: tempDir() };
    const { report, diff } = await diffReleases(options, 1, 3);
    expect(report.ok).toBe(true);
    expect(diff).toEqual({
      from: 1,
      to: 3,
      added: [{ kind: 'body', name: 'Body.New.UNOFFICIAL', count: 1 }, { kind: 'hash', name: 'Hash.Added.UNOFFICIAL', count: 1 }],
      removed: [{ kind: 'body', name: 'Body.Old.UNOFFICIAL', count: 1 }, { kind: 'hash', name: 'Hash.Dropped.UNOFFICIAL', count: 1 }],
    });
    expect((await diffReleases(options, 3, 2)).diff).toMatchObject({ added: [], removed: [{ kind: 'hash', name: 'Hash.Added.UNOFFICIAL', count: 1 }] });
    await expect(diffReleases(options, 1, 4)).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
  });
});
