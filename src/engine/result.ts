/** What a scan returns. A verdict is not an error: errors are thrown, verdicts are returned. */

export interface Finding {
  /** Signature name, as clamscan prints it. */
  signature: string;
  kind: 'hash' | 'body' | 'logical';
  /** Where it was found: the scanned path or `stream`. */
  path: string;
}

export type LimitName = 'max-filesize' | 'max-scansize';

export interface ScanResult {
  /** `incomplete`: a limit stopped the scan before it could be sure; see `limit`. */
  verdict: 'clean' | 'infected' | 'incomplete';
  infected: boolean;
  findings: Finding[];
  /** Bytes read from the input. */
  size: number;
  /** Bytes that went through the matchers. */
  bytesScanned: number;
  /** Detected content type (`pe`, `elf`, `text`, `binary`, ...). */
  fileType: string;
  /** Set when a file's hash is on an allow list (`.fp`/`.sfp`), which clears any detection. */
  allowListed: boolean;
  limit?: { name: LimitName; value: number };
}
