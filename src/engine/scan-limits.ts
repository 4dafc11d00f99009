/**
 * Scan limits, named as ClamAV names them (clamscan(1), clamd.conf(5)) and with ClamAV's defaults,
 * plus a compression-ratio limit of Vigil's own. A limit that stops part of a scan is reported in
 * the result (`incomplete`, which limit, where), never silently.
 */

const MiB = 1024 * 1024;

export interface ScanLimits {
  /**
   * Files larger than this are not scanned (`--max-filesize`, result `incomplete`). Objects inside
   * containers are unpacked up to this many bytes; what was unpacked is scanned and the result is
   * `incomplete`. Default 100 MiB.
   */
  maxFileSize: number;
  /**
   * Bytes that go through the matchers for one input, the input's own and those of every object
   * unpacked from it (`--max-scansize`). It also bounds the bytes held for unpacked objects at any
   * moment, as every unpacked byte is counted before it is kept. Default 400 MiB.
   */
  maxScanSize: number;
  /**
   * Inputs of this many bytes or fewer are reported clean unscanned. Default 5, ClamAV's fixed
   * "small data" threshold, so that both report the same on the same files.
   */
  minScanSize: number;
  /**
   * Container nesting (`--max-recursion`): the input is level 0, what a container holds one level
   * more; objects at this level or deeper are not unpacked (ClamAV counts the same way: a .tar.gz
   * needs 3). Default 17.
   */
  maxRecursion: number;
  /** Objects unpacked from one input, at all levels together (`--max-files`). Default 10000. */
  maxFiles: number;
  /** Time for one input, unpacking included, in milliseconds (`--max-scantime`). Default 120000. */
  maxScanTime: number;
  /**
   * Vigil's own: an object may unpack to at most this many times its compressed size (past the first
   * MiB, which any ratio may fill). Stops decompression bombs before the byte limits do. Default 1000
   * (deflate cannot exceed about 1032:1 in one layer, so this only stops layered or degenerate streams).
   */
  maxCompressionRatio: number;
}

export const DEFAULT_LIMITS: ScanLimits = {
  maxFileSize: 100 * MiB,
  maxScanSize: 400 * MiB,
  minScanSize: 5,
  maxRecursion: 17,
  maxFiles: 10_000,
  maxScanTime: 120_000,
  maxCompressionRatio: 1000,
};

/** Output of the first MiB of a decompression is not held against the compression ratio. */
export const RATIO_FREE_BYTES = MiB;

/**
 * Heuristic detections, named and switched as ClamAV's: `--alert-exceeds-max` reports a limit as
 * `Heuristics.Limits.Exceeded.<Limit>`, `--alert-encrypted` an encrypted ZIP entry as
 * `Heuristics.Encrypted.Zip`; heuristic alerts (on by default, as in ClamAV) report a ZIP with more
 * than 5 overlapping entries as `Heuristics.Zip.OverlappingFiles`.
 */
export interface ScanAlerts {
  exceedsMax: boolean;
  encrypted: boolean;
  heuristics: boolean;
}

export const DEFAULT_ALERTS: ScanAlerts = { exceedsMax: false, encrypted: false, heuristics: true };
