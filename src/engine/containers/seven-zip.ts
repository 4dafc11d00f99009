/**
 * 7-Zip (`7z-wasm`: 7-Zip 24.09 built with Emscripten) as a sandboxed unpacker: one fresh WebAssembly
 * instance per archive, its files in the instance's in-memory file system only (MEMFS: no real
 * folder is ever mounted, so nothing reaches the disk), and two hard caps enforced from JavaScript:
 *
 * - output: every write 7-Zip makes under OUT_DIR goes through `FS.write`, wrapped here: the bytes go
 *   to a hook, never into the file system; a write past the byte cap, or a file past the file cap,
 *   throws `SevenZipStop`, which unwinds 7-Zip where it is. The instance is dead after that and is
 *   dropped (never reused);
 * - memory: the instance's heap grows through the `emscripten_resize_heap` import, wrapped here to
 *   refuse growth past SEVEN_ZIP_MAX_HEAP (7-Zip then fails with "Can't allocate required memory",
 *   e.g. for an LZMA dictionary declared at 1.5 GB). The build's own ceiling is 2 GiB.
 *
 * The compiled module is cached (compiling takes ~10 ms, instantiating it ~2-7 ms); nothing else is
 * shared between archives.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import sevenZipPackage, { type SevenZipModule, type SevenZipModuleOptions } from '7z-wasm';

// The package is CommonJS: its factory is `module.exports`, also exported as `.default` for TypeScript.
const SevenZip = sevenZipPackage.default;

/** The few WebAssembly calls used here (the project's `lib` has no WebAssembly types). */
type WasmModule = object;
type WasmInstance = object;
type WasmImports = Record<string, Record<string, unknown>>;
const wasm = (globalThis as unknown as {
  WebAssembly: { compile(bytes: Uint8Array): Promise<WasmModule>; instantiate(module: WasmModule, imports: WasmImports): Promise<WasmInstance> };
}).WebAssembly;

/** The most a 7-Zip instance's heap may grow to (it starts at 16 MiB). */
export const SEVEN_ZIP_MAX_HEAP = 256 * 1024 * 1024;
/** Where the archive is written and where 7-Zip extracts to, in the instance's MEMFS. */
export const ARCHIVE_PATH = '/in/archive';
export const OUT_DIR = '/out';
/**
 * 7-Zip asks for a password on the terminal when an entry is encrypted and none is given: a password
 * that opens nothing is always given instead (and stdin reads end-of-file).
 */
const NO_PASSWORD = '-pvigil-no-password';

/** Thrown from inside 7-Zip's writes when a cap is reached. */
export class SevenZipStop extends Error {}

let compiled: Promise<WasmModule> | null = null;

function compile(): Promise<WasmModule> {
  compiled ??= wasm.compile(readFileSync(createRequire(import.meta.url).resolve('7z-wasm/7zz.wasm')));
  return compiled;
}

export interface OutputHooks {
  /** Lines of output kept; one more stops 7-Zip (a listing of millions of entries is not held). */
  maxLines: number;
  /** Called before a file is created under OUT_DIR; false (or a throw) stops 7-Zip. */
  onCreate(path: string): boolean;
  /** Called with each chunk written under OUT_DIR (a view of the heap: copy what is kept); false stops 7-Zip. */
  onWrite(path: string, chunk: Uint8Array): boolean;
}

export interface SevenZipRun {
  /**
   * 7-Zip's exit code (0 ok, 1 warning, 2 error); 'stopped' when a cap stopped it; 'crashed' when
   * the WebAssembly code trapped or aborted (out of memory under SEVEN_ZIP_MAX_HEAP, for one).
   */
  code: number | 'stopped' | 'crashed';
  /** What 7-Zip printed, stdout and stderr together, line by line. */
  lines: string[];
}

const O_CREAT = 0o100;

export class SevenZipInstance {
  private lines: string[] = [];
  private dead = false;

  private constructor(private readonly module: SevenZipModule, hooks: OutputHooks) {
    const fs = module.FS;
    const open = fs.open.bind(fs);
    const write = fs.write.bind(fs);
    const inOut = (p: unknown): p is string => typeof p === 'string' && p.startsWith(`${OUT_DIR}/`);
    fs.open = ((path: string, flags: string | number, ...rest: unknown[]) => {
      const creates = typeof flags === 'number' ? (flags & O_CREAT) !== 0 : /[wa]/.test(flags);
      if (creates && inOut(path) && !hooks.onCreate(path)) throw new SevenZipStop('file cap');
      return (open as (...a: unknown[]) => ReturnType<typeof fs.open>)(path, flags, ...rest);
    });
    // Output files stay empty: their bytes go to the hook only (one copy, counted there), and the
    // stream's position moves as if they had been written (7-Zip writes its output sequentially).
    fs.write = ((stream, buffer, offset, length, position, canOwn) => {
      const s = stream as unknown as { path?: string; position: number };
      if (!inOut(s.path)) return write(stream, buffer, offset, length, position, canOwn);
      if (length > 0 && !hooks.onWrite(s.path, new Uint8Array(buffer.buffer, buffer.byteOffset + offset, length))) throw new SevenZipStop('byte cap');
      if (position === undefined) s.position += length;
      return length;
    });
    // 7-Zip may preallocate an output file to the size the archive declares (SetLength): growing a
    // file is left to the writes, which are counted.
    const truncate = fs.truncate.bind(fs);
    const ftruncate = fs.ftruncate.bind(fs);
    fs.truncate = ((path: string, len: number) => {
      if (inOut(path) && len > fs.stat(path).size) return;
      truncate(path, len);
    });
    fs.ftruncate = ((fd: number, len: number) => {
      const stream = (fs as unknown as { getStream(fd: number): { path?: string } | null }).getStream(fd);
      if (stream && inOut(stream.path) && len > fs.stat(stream.path).size) return;
      ftruncate(fd, len);
    });
    fs.allocate = (() => {});
    fs.mkdir('/in');
    fs.mkdir(OUT_DIR);
  }

  /** A fresh instance whose heap may grow to SEVEN_ZIP_MAX_HEAP, with `archive` at ARCHIVE_PATH (not copied). */
  static async open(archive: Uint8Array, hooks: OutputHooks): Promise<SevenZipInstance> {
    const mod = await compile();
    const lines: string[] = [];
    const print = (s: string) => {
      if (lines.length >= hooks.maxLines) throw new SevenZipStop('line cap');
      lines.push(s);
    };
    const module = await SevenZip({
      noExitRuntime: true,
      stdin: () => null,
      print,
      printErr: print,
      instantiateWasm(imports: WasmImports, done: (instance: WasmInstance, module: WasmModule) => void) {
        const env = imports.env!;
        const resize = env.emscripten_resize_heap as (bytes: number) => boolean;
        env.emscripten_resize_heap = (bytes: number) => (bytes >>> 0) <= SEVEN_ZIP_MAX_HEAP && resize(bytes);
        void wasm.instantiate(mod, imports).then((instance) => done(instance, mod));
        return {};
      },
    } as unknown as Partial<SevenZipModuleOptions>);
    const inst = new SevenZipInstance(module, hooks);
    inst.lines = lines;
    // canOwn: MEMFS keeps the caller's bytes as the file's contents instead of copying them.
    module.FS.createDataFile('/in', 'archive', archive, true, false, true);
    return inst;
  }

  /** False once a run was stopped or crashed: the instance must not run again. */
  get alive(): boolean {
    return !this.dead;
  }

  get fs(): SevenZipModule['FS'] {
    return this.module.FS;
  }

  /**
   * Runs a 7-Zip command with the password and progress switches added. Emscripten sets
   * `process.exitCode` to the program's exit code on every run: it is put back as it was.
   */
  run(args: string[]): SevenZipRun {
    if (this.dead) throw new Error('7-Zip instance already stopped');
    const exitCode = process.exitCode;
    const start = this.lines.length;
    let code: SevenZipRun['code'];
    try {
      // eslint-disable-next-line @typescript-eslint/no-confusing-void-expression -- typed void by 7z-wasm, it returns 7-Zip's exit code
      code = this.module.callMain([...args, NO_PASSWORD, '-bsp0', '-y']) as unknown as number;
    } catch (e) {
      this.dead = true;
      code = e instanceof SevenZipStop ? 'stopped' : 'crashed';
      // A C++ exception arrives as a number (the build has no C++ exception handling): 7-Zip gave up.
      if (code === 'crashed') this.lines.push(`7-Zip stopped: ${typeof e === 'number' ? 'internal error (C++ exception)' : (e as Error).message}`);
    } finally {
      process.exitCode = exitCode;
    }
    return { code, lines: this.lines.slice(start) };
  }
}
