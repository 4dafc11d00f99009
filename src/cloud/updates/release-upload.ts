/**
 * Signature sources uploaded to `POST /v1/updates/releases`: the request body's schema, and their
 * compilation the way `vigil cloud release publish -d DIR` compiles a folder. The sources are
 * written under their own names into a fresh temporary folder, loaded and compiled by the engine,
 * and the folder is removed whatever happens. Problems, warnings and the image's list of sources
 * name the uploaded files, never the temporary path.
 */
import { VigilError } from '../../protocol/index.js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { z } from 'zod';
import { DatabaseBuilder, formatProblem, isWarning, listSourceFiles, loadSourceFiles, type DatabaseProblem } from '../../engine/index.js';

const MiB = 1024 * 1024;

/** Default largest body of `POST /v1/updates/releases`, in bytes (base64 adds a third to the sources). */
export const RELEASE_BODY_LIMIT_BYTES = 256 * MiB;
/** Most source files in one upload. */
export const MAX_RELEASE_SOURCES = 1000;
/** Largest `keep_deltas` a request may ask for (each delta is computed within the publication). */
export const MAX_KEEP_DELTAS = 100;
/** Most problems an answer lists (the count in the message is complete). */
export const MAX_REPORTED_PROBLEMS = 1000;

/**
 * The ClamAV source types the engine loads (src/engine/signatures/load-sources.ts `KIND_BY_EXT`):
 * hash, body, logical, ignore and false-positive lists, and the .cvd/.cld/.cud containers.
 */
export const SOURCE_EXTENSIONS = ['.hdb', '.hdu', '.hsb', '.hsu', '.fp', '.sfp', '.ndb', '.ndu', '.ldb', '.ldu', '.ign', '.ign2', '.cvd', '.cld', '.cud'] as const;

/** A plain file name: no folder, no leading dot, at most 128 characters. */
const SOURCE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot < 0 ? '' : name.slice(dot).toLowerCase();
}

const sourceSchema = z.strictObject({
  name: z
    .string()
    .regex(SOURCE_NAME, 'a plain file name: letters, digits, ".", "_", "-", starting with a letter or digit, at most 128 characters')
    .refine((name) => (SOURCE_EXTENSIONS as readonly string[]).includes(extensionOf(name)), { error: `a signature source: the name ends in one of ${SOURCE_EXTENSIONS.join(' ')}` }),
  // Canonical base64 only: decoding and encoding again gives the same text (Buffer.from alone skips junk).
  content_base64: z.string().transform((text, ctx) => {
    const bytes = Buffer.from(text, 'base64');
    if (bytes.toString('base64') !== text) {
      ctx.addIssue({ code: 'custom', message: 'not base64 (standard alphabet, with padding)' });
      return z.NEVER;
    }
    return bytes;
  }),
});

export const releaseUploadBody = z.strictObject({
  sources: z
    .array(sourceSchema)
    .min(1)
    .max(MAX_RELEASE_SOURCES)
    .superRefine((sources, ctx) => {
      // Names are compared as a case-insensitive file system would.
      const seen = new Set<string>();
      for (const [i, s] of sources.entries()) {
        const key = s.name.toLowerCase();
        if (seen.has(key)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `a second source named ${s.name}` });
        seen.add(key);
      }
    }),
  keep_deltas: z.number().int().min(0).max(MAX_KEEP_DELTAS).optional(),
});

export type ReleaseUpload = z.output<typeof releaseUploadBody>;

/** A problem of the uploaded sources, `file` being the uploaded name (`name.cvd:inner.ndb` inside a container). */
export type SourceProblem = DatabaseProblem;

export interface CompiledUpload {
  image: Uint8Array;
  /** Warnings as the CLI prints them (`main.ndb:3: warning W101: ...`): skipped signatures, ignored files. */
  warnings: string[];
}

/** Sources that do not compile: every problem found, by uploaded file and line. */
export class SourceProblems extends VigilError {
  override readonly name = 'SourceProblems';
  readonly code = 'BAD_SOURCES';
  constructor(
    message: string,
    readonly problems: SourceProblem[],
  ) {
    super(message);
  }
}

/**
 * A builder that lists each source under its uploaded name (an image records the names of its
 * sources): the temporary folder's path would make the image depend on where it was compiled.
 */
class UploadBuilder extends DatabaseBuilder {
  constructor(private readonly rename: (path: string) => string) {
    super();
  }
  override addSource(info: Parameters<DatabaseBuilder['addSource']>[0]): void {
    super.addSource({ ...info, name: this.rename(info.name) });
  }
}

/**
 * Compiles the uploaded sources into a release image; throws SourceProblems when they do not
 * compile. The files are listed and loaded as `vigil cloud release publish -d DIR` does
 * (compileSources): ignore lists first, then by name; any error stops the release.
 */
export async function compileUploadedSources(sources: ReleaseUpload['sources']): Promise<CompiledUpload> {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-release-'));
  // The engine names files by their path; the caller knows them by the names it sent.
  const unpath = (text: string) => text.split(`${dir}${sep}`).join('').split(dir).join('the upload');
  try {
    for (const s of sources) await writeFile(join(dir, s.name), s.content_base64, { mode: 0o600, flag: 'wx' });
    const problems: DatabaseProblem[] = [];
    const files = listSourceFiles([dir], problems);
    const builder = new UploadBuilder(unpath);
    loadSourceFiles(files, builder, problems);
    const named = problems.map((p) => ({ ...p, file: unpath(p.file), message: unpath(p.message) }));
    const errors = named.filter((p) => !isWarning(p)).length;
    if (errors > 0) throw new SourceProblems(`${errors} error(s) in the signature sources; nothing was published`, named);
    const image = builder.build();
    return { image: new Uint8Array(image.buffer, image.byteOffset, image.byteLength), warnings: named.map(formatProblem) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
