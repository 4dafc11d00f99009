/**
 * The files of the update repository and where they are (docs/updates.md): the same layout under
 * the cloud's public routes (`<cloud>/v1/updates/...`) and in the folder `vigil cloud repo export`
 * writes, which any static server can serve.
 *
 *   root.json                      the initial trusted root (1.root.json), for clients to pin (export only)
 *   metadata/<N>.root.json         every root version (TUF 5.3: clients walk them one by one)
 *   metadata/<N>.targets.json      consistent snapshots (TUF 4.4: consistent_snapshot is true)
 *   metadata/<N>.snapshot.json
 *   metadata/timestamp.json        the newest timestamp: the only metadata that changes in place
 *   targets/<sha256>.<name>        images and deltas, named by content (TUF 5.7.3)
 *   log/checkpoint                 the log's signed checkpoint (changes in place)
 *   log/tile/...                   C2SP tlog-tiles: tiles and entry bundles, immutable
 *
 * The cloud serves and exports it; the update client and the auditor read it.
 */
import { WireFormatError } from './wire-format-error.js';

/** Where a Vigil cloud serves the repository. */
export const UPDATES_ROUTE_PREFIX = '/v1/updates';
export const REPOSITORY_METADATA_DIR = 'metadata';
export const REPOSITORY_TARGETS_DIR = 'targets';
export const REPOSITORY_LOG_DIR = 'log';
/** The initial root of an export, for clients to pin. */
export const INITIAL_ROOT_FILE = 'root.json';
export const TIMESTAMP_FILE = 'timestamp.json';
/** The longest name of a target (after `<sha256>.`), in characters. */
export const TARGET_NAME_MAX_CHARS = 200;

export type VersionedRole = 'root' | 'targets' | 'snapshot';
export type MetadataFile = { role: 'timestamp' } | { role: VersionedRole; version: number };

const METADATA_NAME_RE = /^([1-9][0-9]{0,9})\.(root|targets|snapshot)\.json$/;
const TARGET_FILE_RE = /^([0-9a-f]{64})\.([A-Za-z0-9._-]+)$/;

/** The file name of a metadata document: `<N>.<role>.json`, or `timestamp.json`. */
export function metadataFileName(file: MetadataFile): string {
  return file.role === 'timestamp' ? TIMESTAMP_FILE : `${file.version}.${file.role}.json`;
}

/** The repository path of a metadata document, e.g. `metadata/3.root.json`. */
export function metadataPath(file: MetadataFile): string {
  return `${REPOSITORY_METADATA_DIR}/${metadataFileName(file)}`;
}

/** A metadata file name read from a request; throws WireFormatError when it names no document. */
export function parseMetadataFileName(name: string): MetadataFile {
  if (name === TIMESTAMP_FILE) return { role: 'timestamp' };
  const m = typeof name === 'string' ? METADATA_NAME_RE.exec(name) : null;
  if (!m) throw new WireFormatError('BAD_VALUE', 'metadata file', 'not <N>.root.json, <N>.targets.json, <N>.snapshot.json or timestamp.json');
  return { role: m[2] as VersionedRole, version: Number(m[1]) };
}

/** The file name of a target: its SHA-256, a dot and its name (TUF 5.7.3, consistent snapshots). */
export function targetFileName(sha256: string, name: string): string {
  return `${sha256}.${name}`;
}

/** The repository path of a target, e.g. `targets/<sha256>.vigil-3.vigildb`. */
export function targetPath(sha256: string, name: string): string {
  return `${REPOSITORY_TARGETS_DIR}/${targetFileName(sha256, name)}`;
}

/** A target file name read from a request; throws WireFormatError when it is not `<sha256>.<name>`. */
export function parseTargetFileName(fileName: string): { sha256: string; name: string } {
  const m = typeof fileName === 'string' ? TARGET_FILE_RE.exec(fileName) : null;
  if (!m || m[2]!.length > TARGET_NAME_MAX_CHARS) throw new WireFormatError('BAD_VALUE', 'target file', `not <sha256>.<name> with a name of 1 to ${TARGET_NAME_MAX_CHARS} letters, digits, ".", "_" or "-"`);
  return { sha256: m[1]!, name: m[2]! };
}

/** The repository path of a log file (`checkpoint`, or a tile path of C2SP tlog-tiles). */
export function logPath(path: string): string {
  return `${REPOSITORY_LOG_DIR}/${path}`;
}

/** The base addresses of a repository at `base` (an export's URL, or a cloud's routes). */
export interface RepositoryUrls {
  metadataBaseUrl: string;
  targetBaseUrl: string;
  /** The log's files: `<logBaseUrl>/checkpoint`, `<logBaseUrl>/tile/...`. */
  logBaseUrl: string;
}

/** The base addresses under `base` (trailing slashes ignored). */
export function repositoryUrls(base: string): RepositoryUrls {
  const b = base.replace(/\/+$/, '');
  return { metadataBaseUrl: `${b}/${REPOSITORY_METADATA_DIR}`, targetBaseUrl: `${b}/${REPOSITORY_TARGETS_DIR}`, logBaseUrl: `${b}/${REPOSITORY_LOG_DIR}` };
}

/** Where the cloud at `cloudUrl` serves the repository (trailing slashes ignored). */
export function updatesBaseUrl(cloudUrl: string): string {
  return `${cloudUrl.replace(/\/+$/, '')}${UPDATES_ROUTE_PREFIX}`;
}
