/**
 * Limits on imported geo files, so a hostile or broken file cannot exhaust memory or time
 * (ClamAV's MaxScanSize/MaxFiles in spirit). The caller should also bound the size of a file
 * before reading it into a string: these limits apply to its content.
 */

export interface GeoCsvLimits {
  /** Longest line accepted, in characters (UTF-16 code units); longer lines are problems. */
  maxLineLength: number;
  /** Most rows (non-blank, non-comment lines, headers included) in one call, over all its files; more stops parsing. */
  maxRows: number;
  /** Problems collected before giving up and throwing them. */
  maxProblems: number;
}

export const DEFAULT_GEO_CSV_LIMITS: Readonly<GeoCsvLimits> = {
  maxLineLength: 4 * 1024,
  maxRows: 5_000_000,
  maxProblems: 20,
};
