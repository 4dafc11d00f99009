// The README's library example runs as users would run it, from the package's own name.
import { describe, expect, it } from 'vitest';
import { run } from './helpers/cli.js';
import { resolve } from 'node:path';

describe('examples', () => {
  it('scan-buffers.mjs detects EICAR and passes clean text', () => {
    const r = run(process.execPath, [resolve(__dirname, '../examples/scan-buffers.mjs')], { cwd: resolve(__dirname, '..') });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('infected Win.Test.EICAR_HDB-1\nclean\n');
    expect(r.code).toBe(0);
  });
});
