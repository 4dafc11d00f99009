// The one error base: every area's error extends it, keeps its own name and code, and may carry a hint.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuditorError } from '../../src/agent/auditor/auditor-error.js';
import { ClamdError } from '../../src/agent/clamd-client.js';
import { DaemonError } from '../../src/agent/daemon/index.js';
import { LicenseError, MachineFingerprintError } from '../../src/agent/license/index.js';
import { NetworkError } from '../../src/agent/network/index.js';
import { QuarantineError } from '../../src/agent/quarantine/quarantine-error.js';
import { UpdateClientError } from '../../src/agent/update/update-error.js';
import { ApiError } from '../../src/cli/cloud-target.js';
import { UsageError } from '../../src/cli/exit-codes.js';
import { GeoError, PolicyError, StoreError, UpdateError } from '../../src/cloud/index.js';
import { HttpError } from '../../src/cloud/http/http-error.js';
import { EngineError } from '../../src/engine/index.js';
import { AuditChainError, ImageDeltaError, LicenseFileError, TlogError, VigilError } from '../../src/protocol/index.js';

const SRC = resolve(__dirname, '../../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

describe('VigilError', () => {
  const samples: [VigilError, string, string][] = [
    [new EngineError('DATABASE_INVALID', 'm'), 'EngineError', 'DATABASE_INVALID'],
    [new AuditorError('UNREACHABLE', 'm'), 'AuditorError', 'UNREACHABLE'],
    [new ClamdError('TIMEOUT', 'm'), 'ClamdError', 'TIMEOUT'],
    [new DaemonError('NO_LISTENER', 'm'), 'DaemonError', 'NO_LISTENER'],
    [new LicenseError('INVALID_KEY', 'm'), 'LicenseError', 'INVALID_KEY'],
    [new MachineFingerprintError('FALLBACK_IO', 'm'), 'MachineFingerprintError', 'FALLBACK_IO'],
    [new NetworkError('NOT_ENABLED', 'm'), 'NetworkError', 'NOT_ENABLED'],
    [new QuarantineError('NOT_FOUND', 'm'), 'QuarantineError', 'NOT_FOUND'],
    [new UpdateClientError('BUSY', 'm'), 'UpdateClientError', 'BUSY'],
    [new GeoError('INVALID_CIDR', 'm'), 'GeoError', 'INVALID_CIDR'],
    [new HttpError(404, 'not_found', 'm'), 'HttpError', 'not_found'],
    [new PolicyError('INVALID_ZONE', 'm'), 'PolicyError', 'INVALID_ZONE'],
    [new StoreError('STORE_OPEN', 'm'), 'StoreError', 'STORE_OPEN'],
    [new UpdateError('NOT_FOUND', 'm'), 'UpdateError', 'NOT_FOUND'],
    [new ApiError(400, 'invalid_request', 'm', []), 'ApiError', 'invalid_request'],
    [new AuditChainError('NOT_JSON', 'm'), 'AuditChainError', 'NOT_JSON'],
    [new ImageDeltaError('WRONG_BASE', 'm'), 'ImageDeltaError', 'WRONG_BASE'],
    [new LicenseFileError('BAD_KEY', 'm'), 'LicenseFileError', 'BAD_KEY'],
    [new TlogError('FORK', 'm'), 'TlogError', 'FORK'],
    [new UsageError('m'), 'Error', 'USAGE'],
  ];

  it.each(samples)('%s is a VigilError that keeps its own name and code', (e, name, code) => {
    expect(e).toBeInstanceOf(VigilError);
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe(name);
    expect(e.code).toBe(code);
    expect(e.message).toBe('m');
    expect(e.hint).toBeUndefined();
    expect(e.listDetails().length).toBeLessThanOrEqual(1); // one detail is the message itself
  });

  it('carries a hint and a cause when given, and no cause property when not', () => {
    const cause = new Error('root');
    const e = new EngineError('DATABASE_NOT_FOUND', 'no database', { cause, hint: 'give -d FILE' });
    expect(e.hint).toBe('give -d FILE');
    expect(e.cause).toBe(cause);
    expect('cause' in new EngineError('READ_ERROR', 'x')).toBe(false);
    expect(new LicenseError('TIMEOUT', 'slow', undefined, { hint: 'try again later' }).hint).toBe('try again later');
  });

  it('lists the issues of a policy error and the details of an API error as details', () => {
    const policy = new PolicyError('INVALID_RULE_SET', 'rule set is invalid: a; b', {
      issues: [
        { path: ['rules', 0, 'action'], message: 'unknown action' },
        { path: [], message: 'too many rules' },
      ],
    });
    expect(policy.listDetails()).toEqual([
      { path: 'rules.0.action', message: 'unknown action' },
      { path: '(root)', message: 'too many rules' },
    ]);
    expect(policy.summariseDetails()).toBe('invalid input:');
    const api = new ApiError(400, 'invalid_request', 'body.x: bad', [{ path: 'body.x', message: 'bad' }]);
    expect(api.listDetails()).toEqual([{ path: 'body.x', message: 'bad' }]);
    expect(api.summariseDetails()).toBe('body.x: bad');
  });

  it('is the base of every exported error class in src/', () => {
    // The base itself, and internal control-flow signals of the container readers (thrown and caught within one file) are not errors a user sees.
    const signals = new Set(['protocol/vigil-error.ts:VigilError', 'engine/containers/autoit-decoders.ts:Cut', 'engine/containers/decoders.ts:Stop', 'engine/containers/seven-zip.ts:SevenZipStop', 'engine/containers/sis.ts:Cut']);
    const direct: string[] = [];
    for (const file of sourceFiles(SRC)) {
      for (const m of readFileSync(file, 'utf8').matchAll(/class (\w+) extends Error\b/g)) {
        const where = `${relative(SRC, file)}:${m[1]!}`;
        if (!signals.has(where)) direct.push(where);
      }
    }
    expect(direct).toEqual([]);
  });

  it('no code in src/ recognises an error by its name', () => {
    const sniffing: string[] = [];
    for (const file of sourceFiles(SRC)) {
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (/\.name\s*[!=]==?\s*['"]\w*Error['"]/.test(line)) sniffing.push(`${relative(SRC, file)}:${i + 1}`);
        });
    }
    expect(sniffing).toEqual([]);
  });
});
