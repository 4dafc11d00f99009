// The tree watcher in-process: new, changed and moved-in files and folders are reported; removed
// folders are forgotten; excluded paths are not.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NO_FILTER, TreeWatcher, type PathFilter } from '../../../src/agent/watch/index.js';
import { tempDir } from '../../helpers/cli.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

async function watching(filter: PathFilter = NO_FILTER) {
  const tmp = tempDir('vigil-tree-');
  const root = join(tmp.path, 'root');
  mkdirSync(join(root, 'existing'), { recursive: true });
  const reported: string[] = [];
  const warnings: string[] = [];
  const tree = new TreeWatcher({ roots: [root], filter, debounceMs: 30, maxDelayMs: 200, onFile: (p) => reported.push(p), onWarning: (w) => warnings.push(w) });
  cleanups.push(() => {
    tree.close();
    tmp.cleanup();
  });
  await tree.start();
  const until = async (test: () => boolean, what: string) => {
    const end = Date.now() + 10_000;
    while (!test()) {
      if (Date.now() > end) throw new Error(`timed out: ${what}; reported ${JSON.stringify(reported)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { tmp, root, tree, reported, warnings, until };
}

describe('TreeWatcher', () => {
  it('reports new files in existing and new folders, and changed files', async () => {
    const { root, reported, until, tree } = await watching();
    expect(tree.watchedFolders).toBe(2);
    writeFileSync(join(root, 'existing', 'a'), 'a');
    mkdirSync(join(root, 'n1', 'n2', 'n3'), { recursive: true });
    writeFileSync(join(root, 'n1', 'n2', 'n3', 'deep'), 'deep');
    await until(() => reported.includes(join(root, 'existing', 'a')) && reported.includes(join(root, 'n1', 'n2', 'n3', 'deep')), 'new files');
    expect(tree.watchedFolders).toBe(5);
    const before = reported.length;
    writeFileSync(join(root, 'existing', 'a'), 'changed content');
    await until(() => reported.length > before, 'the change');
    expect(reported.slice(before)).toContain(join(root, 'existing', 'a'));
  });

  it('reports every file of a folder moved in, and forgets a removed folder', async () => {
    const { tmp, root, reported, until, tree, warnings } = await watching();
    const outside = join(tmp.path, 'outside');
    mkdirSync(join(outside, 'inner'), { recursive: true });
    for (let i = 0; i < 50; i++) writeFileSync(join(outside, 'inner', `f${i}`), `${i}`);
    renameSync(outside, join(root, 'moved'));
    await until(() => reported.filter((p) => p.startsWith(join(root, 'moved', 'inner'))).length === 50, 'moved-in files');
    rmSync(join(root, 'moved'), { recursive: true });
    await until(() => tree.watchedFolders === 2, 'forgetting the removed folders');
    expect(warnings).toEqual([]);
  });

  it('skips excluded files and folders, and empty files until they get content', async () => {
    const { root, reported, until } = await watching({ exclude: [/\.log$/], excludeDir: [/skip$/], include: [], includeDir: [] });
    mkdirSync(join(root, 'skip'));
    writeFileSync(join(root, 'skip', 'x'), 'x');
    writeFileSync(join(root, 'a.log'), 'x');
    writeFileSync(join(root, 'empty'), '');
    writeFileSync(join(root, 'marker'), 'x');
    await until(() => reported.includes(join(root, 'marker')), 'the marker');
    await new Promise((r) => setTimeout(r, 200));
    expect(reported).toEqual([join(root, 'marker')]);
    writeFileSync(join(root, 'empty'), 'now with content');
    await until(() => reported.includes(join(root, 'empty')), 'the filled file');
  });
});
