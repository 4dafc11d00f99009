// protocol's public door names what it exports (no `export *`), and passes on everything the
// transparency-log library exports.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as protocol from '../../src/protocol/index.js';
import * as tlog from '../../src/protocol/tlog/index.js';

const SRC = resolve(__dirname, '../../src/protocol');

describe('protocol index', () => {
  it('has no export * in its index files', () => {
    for (const file of ['index.ts', 'tlog/index.ts']) expect(readFileSync(resolve(SRC, file), 'utf8'), file).not.toMatch(/export\s*\*/);
  });

  it('exports every value of the tlog library', () => {
    const missing = Object.keys(tlog).filter((name) => !(name in protocol));
    expect(missing).toEqual([]);
  });

  it('exports the wire contracts by name', () => {
    for (const name of ['parseRootLogInfo', 'parseLogEntry', 'parseReleaseTarget', 'parseNetworkEvent', 'parseHashPrefix', 'checkpointTime', 'findClockTime', 'addClockCosignature', 'WireFormatError', 'ROOT_LOG_FIELD', 'CONSENT_CATEGORIES']) {
      expect(protocol, name).toHaveProperty(name);
    }
  });
});
