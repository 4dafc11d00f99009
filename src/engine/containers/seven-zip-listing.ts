/**
 * The technical listing 7-Zip prints with `l -slt -ba`: one block of `Key = Value` lines per entry,
 * blocks separated by a blank line, the first line of a block `Path = ...` (the single stream of xz,
 * lzma or Z has no name of its own: its block has no `Path` line, and its path is ''). Only what
 * the walk needs is kept: name, declared size, folder, encrypted. Declared sizes are untrusted: they
 * are used to see a limit coming, never to size anything.
 */

export interface ListedEntry {
  path: string;
  /** The size the archive declares (NaN when it states none). */
  size: number;
  folder: boolean;
  encrypted: boolean;
}

export interface Listing {
  entries: ListedEntry[];
  /** 7-Zip could not open the archive because its headers are encrypted (7z `-mhe`, RAR `-hp`). */
  headersEncrypted: boolean;
  /** Error lines 7-Zip printed (damaged archive, unsupported method). */
  errors: string[];
}

const ENCRYPTED_HEADERS = /Can not open encrypted archive|Wrong password/i;

export function parseListing(lines: string[]): Listing {
  const entries: ListedEntry[] = [];
  const errors: string[] = [];
  let headersEncrypted = false;
  let cur: ListedEntry | null = null;
  for (const line of lines) {
    if (ENCRYPTED_HEADERS.test(line)) headersEncrypted = true;
    if (/^(ERROR|WARNING|Open ERROR|Unsupported|Can not|Cannot|7-Zip stopped)/i.test(line.trim())) errors.push(line.trim());
    const eq = line.indexOf(' = ');
    if (eq < 0) {
      if (line === '') cur = null;
      continue;
    }
    const key = line.slice(0, eq);
    const value = line.slice(eq + 3);
    if (key === 'Path') {
      cur = { path: value, size: NaN, folder: false, encrypted: false };
      entries.push(cur);
      continue;
    }
    if (!cur) {
      // A block without a path: the single stream of xz, lzma or Z.
      cur = { path: '', size: NaN, folder: false, encrypted: false };
      entries.push(cur);
    }
    if (key === 'Size') cur.size = value === '' ? NaN : Number(value);
    else if (key === 'Folder') cur.folder = value === '+';
    else if (key === 'Attributes') cur.folder ||= value.startsWith('D');
    else if (key === 'Encrypted') cur.encrypted = value === '+';
  }
  return { entries, headersEncrypted, errors };
}
