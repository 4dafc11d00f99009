/**
 * The auditor's own folder: what it saw before, so that each run checks the log against every
 * earlier run, and a mirror of the immutable files it verified, so that it fetches each only once.
 *
 *   STATE/root.json                       the trusted root (pinned at first use, or from --trusted-root)
 *   STATE/checkpoint                      the newest checkpoint verified
 *   STATE/checkpoints/<size>-<root hex>   every checkpoint verified, as served
 *   STATE/mirror/<export path>            verified immutable files: metadata/<N>.*.json, log/tile/..., targets/...
 *
 * Files are written aside and renamed, so an interrupted run leaves the state as it was.
 */
import { CHECKPOINT_PATH, logPath, metadataPath, REPOSITORY_TARGETS_DIR } from '../../protocol/index.js';
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { AuditorError } from './auditor-error.js';
import type { RepoSource } from './repo-source.js';

/** Repository files that change in place: never answered from the mirror. */
export const MUTABLE_PATHS: readonly string[] = [logPath(CHECKPOINT_PATH), metadataPath({ role: 'timestamp' })];

const CHECKPOINT_NAME_RE = /^(0|[1-9][0-9]*)-([0-9a-f]{16})$/;

export class AuditState {
  readonly dir: string;
  private readonly pending = new Map<string, Uint8Array>();

  constructor(dir: string) {
    this.dir = resolve(dir);
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    } catch (e) {
      throw new AuditorError('BAD_STATE', `cannot create the state folder ${this.dir}: ${(e as Error).message}`, { cause: e });
    }
  }

  /** The pinned trusted root's bytes, if any. */
  trustedRoot(): Uint8Array | undefined {
    return this.readFile('root.json');
  }

  pinRoot(bytes: Uint8Array): void {
    this.writeFile('root.json', bytes);
  }

  /** Every checkpoint verified before, oldest (smallest) first. */
  seenCheckpoints(): string[] {
    let names: string[];
    try {
      names = readdirSync(join(this.dir, 'checkpoints'));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new AuditorError('BAD_STATE', `cannot read ${join(this.dir, 'checkpoints')}: ${(e as Error).message}`, { cause: e });
    }
    return names
      .map((n) => CHECKPOINT_NAME_RE.exec(n))
      .filter((m): m is RegExpExecArray => m !== null)
      .sort((a, b) => Number(a[1]) - Number(b[1]))
      .map((m) => Buffer.from(this.readFile(join('checkpoints', m[0]))!).toString('utf8'));
  }

  /** Records a verified checkpoint (and makes it the newest). */
  saveCheckpoint(note: string, size: number, rootHex: string): void {
    this.writeFile(join('checkpoints', `${size}-${rootHex.slice(0, 16)}`), Buffer.from(note, 'utf8'));
    this.writeFile('checkpoint', Buffer.from(note, 'utf8'));
  }

  /**
   * A RepoSource that answers from the mirror first, then from `source`. Files that change in
   * place (MUTABLE_PATHS) always come from `source`. Metadata and log files fetched are kept aside
   * until commitMirror() (call it only once they verified); targets, which can be large, are not
   * kept: add a verified one with mirrorFile().
   */
  mirrored(source: RepoSource): RepoSource {
    return {
      label: source.label,
      read: async (path, maxBytes) => {
        if (MUTABLE_PATHS.includes(path)) return source.read(path, maxBytes);
        const kept = this.pending.get(path) ?? this.readFile(join('mirror', path));
        if (kept !== undefined) return kept;
        const data = await source.read(path, maxBytes);
        if (data !== undefined && !path.startsWith(`${REPOSITORY_TARGETS_DIR}/`)) this.pending.set(path, data);
        return data;
      },
    };
  }

  /** The bytes of a mirrored file, if the mirror has it. */
  mirroredFile(path: string): Uint8Array | undefined {
    return this.readFile(join('mirror', path));
  }

  /** Writes the files fetched through mirrored() whose paths pass `keep` into the mirror. */
  commitMirror(keep: (path: string) => boolean): void {
    for (const [path, data] of this.pending) if (keep(path)) this.writeFile(join('mirror', path), data);
    this.pending.clear();
  }

  /** Adds a verified file to the mirror directly. */
  mirrorFile(path: string, data: Uint8Array): void {
    this.writeFile(join('mirror', path), data);
  }

  private readFile(path: string): Uint8Array | undefined {
    try {
      return new Uint8Array(readFileSync(this.inside(path)));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new AuditorError('BAD_STATE', `cannot read ${join(this.dir, path)}: ${(e as Error).message}`, { cause: e });
    }
  }

  private writeFile(path: string, data: Uint8Array): void {
    const file = this.inside(path);
    try {
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      writeFileSync(`${file}.tmp`, data);
      renameSync(`${file}.tmp`, file);
    } catch (e) {
      throw new AuditorError('BAD_STATE', `cannot write ${file}: ${(e as Error).message}`, { cause: e });
    }
  }

  private inside(path: string): string {
    const file = resolve(this.dir, path);
    if (!file.startsWith(this.dir + sep)) throw new AuditorError('BAD_STATE', `path ${path} is outside the state folder`);
    return file;
  }
}
