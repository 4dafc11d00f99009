// The update-log auditor against repositories published by the cloud's real publisher and exported
// as files, then tampered with the ways a vendor or a server could misbehave.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditRepository } from '../../../src/agent/auditor/audit-repository.js';
import { folderSource } from '../../../src/agent/auditor/repo-source.js';
import { type AuditProblemCode, type AuditReport } from '../../../src/agent/auditor/audit-report.js';
import { clonePublisher, compileRelease, flipBit, forgeTargets, publisher, tempDir } from './auditor-fixtures.js';

const codes = (r: AuditReport): AuditProblemCode[] => [...new Set(r.problems.map((p) => p.code))];
const audit = (repo: string, state: string, extra: Partial<Parameters<typeof auditRepository>[0]> = {}) => auditRepository({ source: folderSource(repo), stateDir: state, ...extra });

describe('auditRepository', () => {
  it('verifies a published repository: roots, log, every release with its signature counts', async () => {
    const p = await publisher();
    await p.publish();
    await p.publish();
    await p.rotate('root');
    await p.publish();
    const repo = await p.export();
    const state = tempDir('vigil-audit-state-');
    const report = await audit(repo, state);
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.origin).toBe('audit.test/log');
    expect(report.trustedRoot).toEqual({ version: 1, from: 'first-use' });
    expect(report.warnings.join('\n')).toMatch(/first use/);
    expect(report.roots.map((r) => [r.version, r.logIndex])).toEqual([[1, 0], [2, 3]]);
    expect(report.log).toMatchObject({ size: 5, checkpointsSeen: 0 });
    expect(report.log!.time).toMatch(/^\d{4}-/);
    expect(report.releases.map((r) => [r.number, r.logIndex, r.verified])).toEqual([[1, 1, true], [2, 2, true], [3, 4, true]]);
    // writeSources(n) holds 50 + n hash signatures.
    expect(report.releases.map((r) => r.signatures)).toEqual([51, 52, 53].map((n) => ({ hash: n, body: 0, logical: 0, allow: 0, total: n })));

    // A second run checks the new checkpoint against the one kept from the first.
    await p.publish();
    await p.export(repo);
    const again = await audit(repo, state);
    expect(again.problems).toEqual([]);
    expect(again.trustedRoot).toEqual({ version: 1, from: 'state' });
    expect(again.log).toMatchObject({ size: 6, checkpointsSeen: 1 });
    expect((await audit(repo, state)).log).toMatchObject({ size: 6, checkpointsSeen: 2 });
  });

  it('reports a tampered tile, entry bundle and checkpoint signature', async () => {
    const p = await publisher();
    await p.publish();
    await p.publish();
    const repo = await p.export();
    flipBit(join(repo, 'log/tile/0/000.p/3'), 40);
    const tile = await audit(repo, tempDir());
    expect(codes(tile)).toEqual(['TILE_INVALID']);
    expect(tile.problems[0]!.message).toMatch(/tile\/0\/000\.p\/3 does not hold/);
    expect(tile.log).toBeUndefined();

    const bundles = await p.export();
    flipBit(join(bundles, 'log/tile/entries/000.p/3'), 10);
    expect(codes(await audit(bundles, tempDir()))).toEqual(['TILE_INVALID']);

    const signed = await p.export();
    const note = readFileSync(join(signed, 'log/checkpoint'), 'utf8');
    const line = note.split('\n').find((l) => l.startsWith('\u2014 audit.test/log '))!;
    const sig = Buffer.from(line.split(' ')[2]!, 'base64');
    sig[10] = sig[10]! ^ 1;
    writeFileSync(join(signed, 'log/checkpoint'), note.replace(line, `\u2014 audit.test/log ${sig.toString('base64')}`));
    const bad = await audit(signed, tempDir());
    expect(codes(bad)).toEqual(['CHECKPOINT_INVALID']);
    expect(bad.problems[0]!.message).toMatch(/BAD_SIGNATURE/);
  });

  it('reports a log that shrank since the last run', async () => {
    const p = await publisher();
    await p.publish();
    const old = await p.export();
    await p.publish();
    const repo = await p.export();
    const state = tempDir();
    expect((await audit(repo, state)).ok).toBe(true);
    const shrunk = await audit(old, state);
    expect(codes(shrunk)).toEqual(['LOG_SHRINK']);
    expect(shrunk.problems[0]!.message).toContain('checkpoint seen before:');
  });

  it('reports a fork: two histories from the same start', async () => {
    const a = await publisher();
    await a.publish();
    const b = await clonePublisher(a);
    await a.publish(compileRelease(5));
    await b.publish(compileRelease(6));
    const repoA = await a.export();
    const repoB = await b.export();
    const state = tempDir();
    expect((await audit(repoA, state)).ok).toBe(true);
    expect(codes(await audit(repoB, state))).toEqual(['LOG_FORK']);
    await b.publish(compileRelease(7));
    const longer = await audit(await b.export(), state);
    expect(codes(longer)).toEqual(['LOG_INCONSISTENT']);
    // The other history on its own is a valid log: only memory of the first shows the fork.
    expect((await audit(repoB, tempDir())).ok).toBe(true);
  });

  it('reports a split view from a checkpoint seen by another party', async () => {
    const a = await publisher();
    await a.publish();
    const b = await clonePublisher(a);
    await a.publish(compileRelease(5));
    await b.publish(compileRelease(6));
    await b.publish(compileRelease(7));
    const repoA = await a.export();
    const theirs = readFileSync(join(await b.export(), 'log/checkpoint'), 'utf8');
    const same = readFileSync(join(repoA, 'log/checkpoint'), 'utf8');
    const report = await audit(repoA, tempDir(), { witnesses: [{ label: 'friend.checkpoint', text: theirs }, { label: 'same.checkpoint', text: same }] });
    expect(report.problems).toEqual([]);
    expect(report.splitViews).toHaveLength(1);
    expect(report.splitViews[0]).toMatchObject({ witness: 'friend.checkpoint', ours: same, theirs });
    expect(report.splitViews[0]!.reason).toMatch(/no consistency proof|does not extend/);
    expect(report.witnesses).toEqual([{ source: 'friend.checkpoint', size: 4, consistent: false }, { source: 'same.checkpoint', size: 3, consistent: true }]);
    expect(report.ok).toBe(false);
    // A checkpoint not signed by the log's key is no evidence, and is reported as such.
    const forged = await audit(repoA, tempDir(), { witnesses: [{ label: 'forged', text: same.replace('\n3\n', '\n2\n') }] });
    expect(codes(forged)).toEqual(['WITNESS_INVALID']);
    expect(forged.splitViews).toEqual([]);
  });

  it('reports a release the targets metadata lists but the log does not hold', async () => {
    const p = await publisher();
    await p.publish();
    const repo = await p.export();
    const image = compileRelease(9);
    forgeTargets(p, repo, (entries) => [...entries, { name: 'vigil-2.vigildb', sha256: '0'.repeat(64), length: image.length, custom: { vigil: { kind: 'image', release: 2 } } }]);
    const report = await audit(repo, tempDir());
    expect(codes(report)).toEqual(['RELEASE_NOT_IN_LOG']);
    expect(report.problems[0]!.message).toMatch(/lists vigil-2\.vigildb .* which the log does not hold/);
  });

  it('reports targets metadata whose image digest differs from the log entry', async () => {
    const p = await publisher();
    await p.publish();
    await p.publish();
    const repo = await p.export();
    const release2 = JSON.parse(readFileSync(join(repo, 'metadata/3.targets.json'), 'utf8')).signed.targets['vigil-1.vigildb'];
    forgeTargets(p, repo, (entries) => entries.map((e) => (e.name === 'vigil-2.vigildb' ? { ...e, sha256: release2.hashes.sha256, length: release2.length } : e)), 3);
    const report = await audit(repo, tempDir());
    expect(codes(report)).toContain('TARGET_MISMATCH');
    expect(report.problems.find((x) => x.code === 'TARGET_MISMATCH')!.message).toMatch(/^release 2: targets version 3 lists vigil-2\.vigildb as/);
    expect(report.releases.map((r) => r.verified)).toEqual([true, false]);
  });

  it('refuses a repository whose root is not the trusted one', async () => {
    const p = await publisher();
    await p.publish();
    const other = await publisher();
    await other.publish();
    const trusted = readFileSync(join(await other.export(), 'root.json'));
    const report = await audit(await p.export(), tempDir(), { trustedRoot: { bytes: trusted, label: 'trusted.json' } });
    expect(codes(report)).toContain('ROOT_UNTRUSTED');
    expect(report.ok).toBe(false);
  });
});
