// The key behind endpoint pseudonyms: made once in the data folder, owner-only, and the same on every start.
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { endpointPseudonym, loadOrCreateNetworkKey, NETWORK_KEY_FILE } from '../../src/cloud/index.js';

it('creates the pseudonym key once, owner-only, and reads the same key afterwards', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-netkey-'));
  const key = loadOrCreateNetworkKey(dir);
  expect(key).toHaveLength(32);
  const file = join(dir, NETWORK_KEY_FILE);
  expect(statSync(file).mode & 0o777).toBe(0o600);
  expect(readFileSync(file, 'utf8')).toBe(`${key.toString('hex')}\n`);
  expect(loadOrCreateNetworkKey(dir).equals(key)).toBe(true);
  expect(endpointPseudonym(key, 'act_x')).toBe(createHmac('sha256', key).update('act_x').digest('hex'));
  expect(endpointPseudonym(key, 'act_x')).not.toBe(endpointPseudonym(key, 'act_y'));
  writeFileSync(file, 'not a key');
  expect(() => loadOrCreateNetworkKey(dir)).toThrow(/64 lowercase hex digits/);
});
