/**
 * Where an auditor reads an update repository: the files of `vigil cloud repo export` (docs/updates.md),
 * by their path in that layout (protocol/repository-layout.ts) (`metadata/1.root.json`, `targets/<sha256>.<name>`, `log/checkpoint`,
 * `log/tile/...`), from a folder, from a static server holding the export, or from a Vigil cloud's
 * public routes (`<cloud>/v1/updates/...`, the same bytes). Nothing read is trusted: every byte is
 * checked against signed metadata or a signed checkpoint before use. Reads are bounded by
 * AUDIT_LIMITS, checked before the bytes are held.
 */
import { readFile, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { updatesBaseUrl } from '../../protocol/index.js';
import { AuditorError } from './auditor-error.js';

const MiB = 1024 * 1024;

/** The largest file of each kind an auditor reads, in bytes. */
export const AUDIT_LIMITS = {
  /** TUF metadata documents (a targets.json grows with releases). */
  maxMetadataBytes: 16 * MiB,
  /** Release images (the cloud's own `maxImageBytes` is 1 GiB). */
  maxImageBytes: 1024 * MiB,
  /** A tile (8,192 bytes full) or an entry bundle (256 entries of up to 65,535 bytes). */
  maxTileBytes: 256 * (2 + 0xffff),
  /** A checkpoint note (as NOTE_MAX_BYTES). */
  maxCheckpointBytes: 256 * 1024,
  /** Waiting for one HTTP answer, in milliseconds. */
  requestTimeoutMs: 30_000,
} as const;

/** Reads repository files by export path; undefined when the file does not exist. */
export interface RepoSource {
  /** Where the files come from, for messages. */
  readonly label: string;
  read(path: string, maxBytes: number): Promise<Uint8Array | undefined>;
}

/** The export written by `vigil cloud repo export` into a folder. */
export function folderSource(dir: string): RepoSource {
  const root = resolve(dir);
  return {
    label: root,
    async read(path, maxBytes) {
      const file = resolve(join(root, path));
      if (!file.startsWith(root + sep)) throw new AuditorError('BAD_ARGUMENT', `path ${path} is outside the repository`);
      let size: number;
      try {
        size = (await stat(file)).size;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
        throw new AuditorError('UNREACHABLE', `${file}: ${(e as Error).message}`, { cause: e });
      }
      if (size > maxBytes) throw new AuditorError('TOO_LARGE', `${file} is ${size} bytes, more than the ${maxBytes} read`);
      try {
        return new Uint8Array(await readFile(file));
      } catch (e) {
        throw new AuditorError('UNREACHABLE', `${file}: ${(e as Error).message}`, { cause: e });
      }
    },
  };
}

/** An export served over HTTP(S) at `baseUrl` (a static server, a CDN, an object store). */
export function httpSource(baseUrl: string, label = baseUrl): RepoSource {
  const base = baseUrl.replace(/\/+$/, '');
  return {
    label,
    async read(path, maxBytes) {
      const url = `${base}/${path}`;
      let res: Response;
      try {
        res = await fetch(url, { signal: AbortSignal.timeout(AUDIT_LIMITS.requestTimeoutMs), redirect: 'follow' });
      } catch (e) {
        throw new AuditorError('UNREACHABLE', `${url}: ${(e as Error).message}`, { cause: e });
      }
      if (res.status === 404) {
        await res.body?.cancel();
        return undefined;
      }
      if (res.status !== 200) {
        await res.body?.cancel();
        throw new AuditorError('UNREACHABLE', `${url}: HTTP ${res.status}`);
      }
      return readBounded(res, url, maxBytes);
    },
  };
}

/** A Vigil cloud's public update routes: the export layout under `<cloud>/v1/updates/`. */
export function serverSource(cloudUrl: string): RepoSource {
  return httpSource(updatesBaseUrl(cloudUrl), cloudUrl);
}

/** Reads the body, refusing it as soon as it passes `maxBytes` (never sized from Content-Length). */
async function readBounded(res: Response, url: string, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > maxBytes) {
    await res.body?.cancel();
    throw new AuditorError('TOO_LARGE', `${url} is ${declared} bytes, more than the ${maxBytes} read`);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (res.body) {
    const reader = (res.body as ReadableStream<Uint8Array>).getReader(); // fetch bodies are byte streams
    for (;;) {
      let step: Awaited<ReturnType<typeof reader.read>>;
      try {
        step = await reader.read();
      } catch (e) {
        throw new AuditorError('UNREACHABLE', `${url}: ${(e as Error).message}`, { cause: e });
      }
      if (step.done) break;
      total += step.value.length;
      if (total > maxBytes) {
        await reader.cancel();
        throw new AuditorError('TOO_LARGE', `${url} is more than the ${maxBytes} bytes read`);
      }
      chunks.push(step.value);
    }
  }
  return new Uint8Array(Buffer.concat(chunks));
}
