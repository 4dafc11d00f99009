// The one exit-code table, its documentation, and reportError's dispatch on VigilError.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../src/cli/cloud-target.js';
import * as exitCodes from '../../src/cli/exit-codes.js';
import { EXIT_CODES, EXIT_ERROR, EXIT_POLICY_DENIED, EXIT_SPLIT_VIEW, reportError, UsageError } from '../../src/cli/exit-codes.js';
import { PolicyError } from '../../src/cloud/index.js';
import { EngineError } from '../../src/engine/index.js';
import { TlogError } from '../../src/protocol/index.js';

const ROOT = resolve(__dirname, '../..');

function captureStderr(run: () => number): { code: number; stderr: string } {
  let stderr = '';
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  try {
    return { code: run(), stderr };
  } finally {
    spy.mockRestore();
  }
}

describe('the exit-code table', () => {
  afterEach(() => vi.restoreAllMocks());

  it('gives every code one name and one meaning, in order', () => {
    const codes = EXIT_CODES.map((r) => r.code);
    expect(new Set(codes).size).toBe(codes.length);
    expect(new Set(EXIT_CODES.map((r) => r.name)).size).toBe(codes.length);
    expect(codes).toEqual([...codes].sort((a, b) => a - b));
    for (const row of EXIT_CODES) {
      expect((exitCodes as Record<string, unknown>)[row.name]).toBe(row.code);
      expect(row.meaning.length).toBeGreaterThan(10);
    }
  });

  it('lists every exported EXIT_ constant', () => {
    const exported = Object.entries(exitCodes).filter(([name, v]) => name.startsWith('EXIT_') && typeof v === 'number');
    expect(exported.map(([name]) => name).sort()).toEqual(EXIT_CODES.map((r) => r.name).sort());
  });

  it('keeps the split view apart from policy denied', () => {
    expect(EXIT_SPLIT_VIEW).not.toBe(EXIT_POLICY_DENIED);
    expect(EXIT_POLICY_DENIED).toBe(3);
    expect(EXIT_SPLIT_VIEW).toBe(4);
  });

  it('is documented row for row in docs/cli.md', () => {
    const doc = readFileSync(join(ROOT, 'docs/cli.md'), 'utf8');
    const section = doc.split(/^## /m).find((s) => s.startsWith('Exit codes'));
    expect(section).toBeDefined();
    const rows = [...section!.matchAll(/^\| (\d+) \| `(EXIT_\w+)` \|/gm)].map((m) => ({ code: Number(m[1]), name: m[2] }));
    expect(rows).toEqual(EXIT_CODES.map((r) => ({ code: r.code, name: r.name })));
  });

  it('is the only place in src/cli that defines an exit number', () => {
    const dir = join(ROOT, 'src/cli');
    const offenders = readdirSync(dir)
      .filter((f) => f.endsWith('.ts') && f !== 'exit-codes.ts')
      .flatMap((f) =>
        readFileSync(join(dir, f), 'utf8')
          .split('\n')
          .filter((l) => /const EXIT_\w+ = \d|process\.exit\(\d|exitCode = \d/.test(l))
          .map((l) => `${f}: ${l.trim()}`),
      );
    expect(offenders).toEqual([]);
  });
});

describe('reportError', () => {
  it('prints a VigilError without a stack, with its hint, and exits 2', () => {
    const r = captureStderr(() => reportError(new TlogError('FORK', 'two trees of 3 entries', {}, { hint: 'compare the checkpoints with another witness' })));
    expect(r.code).toBe(EXIT_ERROR);
    expect(r.stderr).toBe('ERROR: two trees of 3 entries\nhint: compare the checkpoints with another witness\n');
  });

  it('prints the hint of an engine error under its problems', () => {
    const e = new EngineError('DATABASE_NOT_FOUND', 'no database at x', { hint: 'give -d FILE|DIR' });
    expect(captureStderr(() => reportError(e)).stderr).toBe('ERROR: no database at x\nhint: give -d FILE|DIR\n');
  });

  it('lists the issues of a policy error under one heading, and a single issue as the message', () => {
    const several = new PolicyError('INVALID_RULE_SET', 'rule set is invalid: rules.0.action: bad; (root): too many', {
      issues: [
        { path: ['rules', 0, 'action'], message: 'bad' },
        { path: [], message: 'too many' },
      ],
    });
    expect(captureStderr(() => reportError(several)).stderr).toBe('ERROR: invalid input:\n  rules.0.action: bad\n  (root): too many\n');
    expect(captureStderr(() => reportError(new PolicyError('INVALID_ZONE', 'unknown zone "Mars/Base"'))).stderr).toBe('ERROR: unknown zone "Mars/Base"\n');
  });

  it('lists the details of an API error under its message', () => {
    const e = new ApiError(400, 'invalid_request', 'body.a: required', [
      { path: 'body.a', message: 'required' },
      { path: 'body.b', message: 'unknown field "b"' },
    ]);
    expect(captureStderr(() => reportError(e)).stderr).toBe('ERROR: body.a: required\n  body.a: required\n  body.b: unknown field "b"\n');
    expect(captureStderr(() => reportError(new UsageError('--port: not a number'))).stderr).toBe('ERROR: --port: not a number\n');
  });

  it('does not take an error for a Vigil one by its name', () => {
    const impostor = Object.assign(new Error('something broke'), { name: 'PolicyError', issues: [] });
    const r = captureStderr(() => reportError(impostor));
    expect(r.code).toBe(EXIT_ERROR);
    expect(r.stderr).toMatch(/^ERROR: PolicyError: something broke\n {4}at /);
  });
});
