/**
 * Watches folder trees for new and changed files, with one inotify watch per folder (fs.watch,
 * not recursive: Node 20's recursive mode on Linux is emulated in JavaScript and has lost events).
 *
 * An event never names the work to do; it only marks its folder dirty. A dirty folder is
 * reconciled after a quiet spell (debounceMs since its last event, but at most maxDelayMs after
 * the first): it is listed and every entry compared with what was known (inode, size, mtime,
 * ctime); new or changed files are reported, new sub-folders watched and reconciled in turn (so
 * files created in a folder before its watch existed are found), vanished ones forgotten. Lost
 * events therefore cost nothing as long as one event reaches the folder afterwards, and to cover a
 * burst whose last events were lost (libuv drops inotify's IN_Q_OVERFLOW without telling), a
 * reconcile that found changes schedules another one, until one finds none. A watcher error
 * closes that watch, sets it up again and reconciles the folder.
 *
 * Nothing runs while nothing changes: no polling, no timers except the debounce of dirty folders.
 */
import { watch, lstatSync, readdirSync, type FSWatcher, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { skipsFile, skipsFolder, type PathFilter } from './path-filter.js';

/** Quiet time after a folder's last event before it is reconciled. */
export const WATCH_DEBOUNCE_MS = 200;
/** A folder with events all the time is still reconciled this long after its first one. */
export const WATCH_MAX_DELAY_MS = 2000;
/** At start, files changed this long before the watch began are scanned as new. */
export const WATCH_START_SLACK_MS = 2000;

export interface TreeWatcherOptions {
  roots: string[];
  filter: PathFilter;
  debounceMs?: number;
  maxDelayMs?: number;
  /** A file to scan: new, or changed since it was last seen. Not called for empty files. */
  onFile: (path: string) => void;
  onWarning: (message: string) => void;
}

interface FileSig {
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
}

interface FolderState {
  watcher: FSWatcher | null;
  files: Map<string, FileSig>;
  folders: Set<string>;
  timer: NodeJS.Timeout | null;
  firstEventAt: number;
  lastEventAt: number;
}

const child = (dir: string, name: string) => (dir.endsWith('/') ? `${dir}${name}` : `${dir}/${name}`);

export class TreeWatcher {
  private readonly folders = new Map<string, FolderState>();
  private readonly debounceMs: number;
  private readonly maxDelayMs: number;
  private closed = false;
  /** Folders waiting for their first reconcile after being added. */
  private readonly toAdd: { dir: string; isNew: boolean }[] = [];
  private startedAt = 0;

  constructor(private readonly opts: TreeWatcherOptions) {
    this.debounceMs = opts.debounceMs ?? WATCH_DEBOUNCE_MS;
    this.maxDelayMs = opts.maxDelayMs ?? WATCH_MAX_DELAY_MS;
  }

  get watchedFolders(): number {
    return this.folders.size;
  }

  /** Sets up the watches on every folder of the trees; resolves when all are in place. Roots must be folders. */
  async start(): Promise<void> {
    this.startedAt = Date.now();
    for (const root of this.opts.roots) this.toAdd.push({ dir: root, isNew: false });
    await this.drainAdds();
  }

  close(): void {
    this.closed = true;
    for (const st of this.folders.values()) {
      st.watcher?.close();
      if (st.timer) clearTimeout(st.timer);
    }
    this.folders.clear();
    this.toAdd.length = 0;
  }

  private async drainAdds(): Promise<void> {
    let n = 0;
    while (!this.closed && this.toAdd.length > 0) {
      const { dir, isNew } = this.toAdd.shift()!;
      this.addFolder(dir, isNew);
      // Let inotify events and scans through between folders of a big tree.
      if (++n % 64 === 0) await new Promise((r) => setImmediate(r));
    }
  }

  private addFolder(dir: string, isNew: boolean): void {
    if (this.folders.has(dir)) return;
    const st: FolderState = { watcher: null, files: new Map(), folders: new Set(), timer: null, firstEventAt: 0, lastEventAt: 0 };
    this.folders.set(dir, st);
    this.watchFolder(dir, st);
    // Listed after the watch is in place: a file created in between is both listed and evented.
    this.reconcile(dir, isNew ? 'all' : 'recent');
  }

  private watchFolder(dir: string, st: FolderState): void {
    try {
      const w = watch(dir, { persistent: true }, () => this.touch(dir));
      w.on('error', (e) => {
        w.close();
        if (st.watcher === w) st.watcher = null;
        if (this.closed || this.folders.get(dir) !== st) return;
        this.opts.onWarning(`watch of ${dir} failed (${e.message}); watching it again and rescanning it`);
        this.watchFolder(dir, st);
        this.touch(dir);
      });
      st.watcher = w;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return; // gone already; the parent's reconcile forgets it
      const why = code === 'ENOSPC' ? 'the inotify watch limit is reached (raise fs.inotify.max_user_watches)' : (e as Error).message;
      this.opts.onWarning(`cannot watch ${dir}: ${why}; changes in it are seen only when its parent folder changes`);
    }
  }

  /** An event in `dir`: reconcile it after the quiet spell. */
  private touch(dir: string): void {
    const st = this.folders.get(dir);
    if (!st || this.closed) return;
    const now = Date.now();
    st.lastEventAt = now;
    if (st.timer) return;
    st.firstEventAt = now;
    st.timer = setTimeout(() => this.onTimer(dir, st), this.debounceMs);
  }

  private onTimer(dir: string, st: FolderState): void {
    st.timer = null;
    if (this.closed || this.folders.get(dir) !== st) return;
    const now = Date.now();
    const quietFor = now - st.lastEventAt;
    const waitedFor = now - st.firstEventAt;
    if (quietFor < this.debounceMs && waitedFor < this.maxDelayMs) {
      st.timer = setTimeout(() => this.onTimer(dir, st), Math.min(this.debounceMs - quietFor, this.maxDelayMs - waitedFor));
      return;
    }
    this.reconcile(dir, 'changed');
    void this.drainAdds();
  }

  /**
   * Compares the folder's entries with what was known. `all`: every file is new (a folder that
   * appeared); `recent`: at start, only files changed just before the watch began; `changed`: new
   * and changed files.
   */
  private reconcile(dir: string, mode: 'all' | 'recent' | 'changed'): void {
    const st = this.folders.get(dir);
    if (!st) return;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        this.forget(dir);
        const parent = dirname(dir);
        if (this.folders.has(parent)) this.touch(parent);
        else this.opts.onWarning(`${dir} was removed; it is no longer watched`);
      } else this.opts.onWarning(`cannot list ${dir}: ${(e as Error).message}`);
      return;
    }
    let changes = 0;
    const seenFiles = new Set<string>();
    const seenFolders = new Set<string>();
    for (const ent of entries) {
      const path = child(dir, ent.name);
      if (ent.isDirectory()) {
        seenFolders.add(ent.name);
        if (!st.folders.has(ent.name) && !skipsFolder(this.opts.filter, path)) {
          st.folders.add(ent.name);
          this.toAdd.push({ dir: path, isNew: mode !== 'recent' });
          changes++;
        }
        continue;
      }
      if (!ent.isFile()) continue; // symbolic links, sockets, devices: not followed, not scanned
      let s: Stats;
      try {
        s = lstatSync(path);
      } catch {
        continue; // gone meanwhile
      }
      if (!s.isFile()) continue;
      seenFiles.add(ent.name);
      const sig: FileSig = { ino: s.ino, size: s.size, mtimeMs: s.mtimeMs, ctimeMs: s.ctimeMs };
      const old = st.files.get(ent.name);
      if (old?.ino === sig.ino && old.size === sig.size && old.mtimeMs === sig.mtimeMs && old.ctimeMs === sig.ctimeMs) continue;
      st.files.set(ent.name, sig);
      changes++;
      const report = mode === 'recent' ? sig.ctimeMs >= this.startedAt - WATCH_START_SLACK_MS : true;
      if (report && sig.size > 0 && !skipsFile(this.opts.filter, path)) this.opts.onFile(path);
    }
    for (const name of [...st.files.keys()]) if (!seenFiles.has(name)) st.files.delete(name);
    for (const name of [...st.folders]) {
      if (!seenFolders.has(name)) {
        st.folders.delete(name);
        this.forget(child(dir, name));
        changes++;
      }
    }
    // Changes found: look again after a quiet spell, in case the burst's last events were lost.
    if (changes > 0 && mode === 'changed') this.touch(dir);
  }

  /** Stops watching a folder and everything below it. */
  private forget(dir: string): void {
    const st = this.folders.get(dir);
    if (!st) return;
    st.watcher?.close();
    if (st.timer) clearTimeout(st.timer);
    this.folders.delete(dir);
    for (const name of st.folders) this.forget(child(dir, name));
  }
}

