// The update repository's layout: the paths the cloud serves and exports, and the update client
// and the auditor read. Request names that are not repository files are refused.
import { describe, expect, it } from 'vitest';
import {
  CHECKPOINT_PATH,
  logPath,
  metadataFileName,
  metadataPath,
  parseMetadataFileName,
  parseTargetFileName,
  repositoryUrls,
  TARGET_NAME_MAX_CHARS,
  targetFileName,
  targetPath,
  UPDATES_ROUTE_PREFIX,
  updatesBaseUrl,
} from '../../src/protocol/index.js';
import { refusal } from './wire-check.js';

const SHA = '0f'.repeat(32);

describe('repository layout', () => {
  it('places metadata, targets and the log as documented', () => {
    expect(metadataPath({ role: 'root', version: 1 })).toBe('metadata/1.root.json');
    expect(metadataPath({ role: 'snapshot', version: 12 })).toBe('metadata/12.snapshot.json');
    expect(metadataPath({ role: 'timestamp' })).toBe('metadata/timestamp.json');
    expect(targetPath(SHA, 'vigil-3.vigildb')).toBe(`targets/${SHA}.vigil-3.vigildb`);
    expect(logPath(CHECKPOINT_PATH)).toBe('log/checkpoint');
    expect(logPath('tile/0/000')).toBe('log/tile/0/000');
  });

  it('serves the same layout under /v1/updates of a cloud, trailing slashes ignored', () => {
    expect(UPDATES_ROUTE_PREFIX).toBe('/v1/updates');
    expect(updatesBaseUrl('https://cloud.example/')).toBe('https://cloud.example/v1/updates');
    expect(repositoryUrls('https://mirror.example/repo//')).toEqual({
      metadataBaseUrl: 'https://mirror.example/repo/metadata',
      targetBaseUrl: 'https://mirror.example/repo/targets',
      logBaseUrl: 'https://mirror.example/repo/log',
    });
  });

  it('reads back the metadata and target names it writes', () => {
    for (const file of [{ role: 'timestamp' }, { role: 'root', version: 1 }, { role: 'targets', version: 9_999_999_999 }] as const) expect(parseMetadataFileName(metadataFileName(file))).toEqual(file);
    expect(parseTargetFileName(targetFileName(SHA, 'vigil-1-to-2.vigildelta'))).toEqual({ sha256: SHA, name: 'vigil-1-to-2.vigildelta' });
  });

  it('refuses request names that are no metadata file', () => {
    for (const name of ['', 'root.json', '0.root.json', '01.root.json', '1.timestamp.json', '1.root.json.bak', '12345678901.root.json', '../1.root.json', '1.ROOT.json', 'timestamp.json/', '-1.targets.json']) {
      expect(refusal(() => parseMetadataFileName(name)), name).toMatchObject({ code: 'BAD_VALUE', field: 'metadata file' });
    }
    expect(refusal(() => parseMetadataFileName(42 as never)).field).toBe('metadata file');
  });

  it('refuses request names that are no target file: traversal, bad digests, long names', () => {
    for (const name of [SHA, `${SHA}.`, `${SHA.toUpperCase()}.x`, `${SHA.slice(2)}.x`, `${SHA}./etc/passwd`, `${SHA}.a/b`, `${SHA}.a b`, `${SHA}.${'x'.repeat(TARGET_NAME_MAX_CHARS + 1)}`, `x.${SHA}`, '']) {
      expect(refusal(() => parseTargetFileName(name)), name.slice(0, 80)).toMatchObject({ code: 'BAD_VALUE', field: 'target file' });
    }
    expect(parseTargetFileName(`${SHA}.${'x'.repeat(TARGET_NAME_MAX_CHARS)}`).name).toHaveLength(TARGET_NAME_MAX_CHARS);
  });
});
