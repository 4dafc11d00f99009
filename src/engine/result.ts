/** What a scan returns. A verdict is not an error: errors are thrown, verdicts are returned. */

export interface Finding {
  /** Signature name, as clamscan prints it. */
  signature: string;
  /** `heuristic`: a detection by the engine's own rules (`Heuristics.Limits.Exceeded.MaxFiles`, `Heuristics.Encrypted.Zip`). */
  kind: 'hash' | 'body' | 'logical' | 'heuristic';
  /**
   * Where it was found: the scanned path or `stream`, followed for an object inside a container by
   * the chain of names that leads to it, joined by `//` (`files.tar.gz//docs/report.zip//macro.bin`).
   */
  path: string;
}

/** Limits, named as ClamAV's options (`--max-filesize`, ...); `max-compression-ratio` is Vigil's own. */
export type LimitName = 'max-filesize' | 'max-scansize' | 'max-recursion' | 'max-files' | 'max-scantime' | 'max-compression-ratio';

/** A limit that stopped part of a scan. */
export interface LimitHit {
  name: LimitName;
  /** The limit's value (bytes, objects, levels, milliseconds, or the ratio). */
  value: number;
  /** The object that was not scanned, or not completely (same form as `Finding.path`). Absent on results built before containers. */
  path?: string;
}

/**
 * Something about a container that the verdict should be read with:
 * - `encrypted`: an entry is encrypted and was not scanned (verdict `incomplete`);
 * - `unsupported`: an entry uses a compression method Vigil cannot decode yet (verdict `incomplete`);
 * - `corrupt`, `truncated`: the container is damaged; what could be read was scanned;
 * - `overlapping`: entries of a ZIP share bytes ("better zip bomb"); each range is scanned once.
 */
export interface ContainerIssue {
  code: 'encrypted' | 'unsupported' | 'corrupt' | 'truncated' | 'overlapping';
  path: string;
  detail: string;
}

/** What unpacking cost: objects taken out of containers, their bytes, and the most bytes held at once. */
export interface ContainerStats {
  objects: number;
  bytesExtracted: number;
  /** Peak of the bytes the engine held for extracted objects (decompression output buffers). */
  peakBytesHeld: number;
}

export interface ScanResult {
  /** `incomplete`: a limit (see `limit`), an encrypted or an undecodable entry stopped the scan before it could be sure. */
  verdict: 'clean' | 'infected' | 'incomplete';
  infected: boolean;
  findings: Finding[];
  /** Bytes read from the input. */
  size: number;
  /** Bytes that went through the matchers (the input's and those of objects unpacked from it). */
  bytesScanned: number;
  /** Detected content type (`pe`, `elf`, `text`, `binary`, ...). */
  fileType: string;
  /** Set when a file's hash is on an allow list (`.fp`/`.sfp`), which clears any detection. */
  allowListed: boolean;
  /** The first limit that stopped the scan (all of them are in `limits`). */
  limit?: LimitHit;
  /** Every limit hit, when there was more than none (containers can hit several). */
  limits?: LimitHit[];
  /** Encrypted, undecodable or damaged containers met during the scan. */
  issues?: ContainerIssue[];
  /** Set when objects were unpacked from containers. */
  containers?: ContainerStats;
}
