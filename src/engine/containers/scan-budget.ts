/**
 * What one scan may still spend, shared by every object of the tree: bytes through the matchers,
 * objects unpacked, time, and an account of the bytes held for unpacked objects.
 *
 * The memory bound: every unpacked byte is counted against `maxScanSize` (as `pending` until the
 * matchers have seen it, then as `scanned`) as it is kept; a decompression's buffer never grows past
 * what the budget had left when it started (`cap`), and is trimmed to within `SLACK_BYTES` of its
 * content when it ends. Growing or trimming copies, so for a moment one object may take twice its
 * cap. The bytes held for unpacked objects, counted with both sides of every copy, therefore never
 * exceed `2 * maxScanSize + maxRecursion * SLACK_BYTES` (`heldBound`).
 */
import type { ScanLimits } from '../scan-limits.js';

/** Capacity a finished output buffer may keep beyond its content. */
export const SLACK_BYTES = 64 * 1024;

/** The most bytes a scan holds for unpacked objects under these limits. */
export function heldBound(limits: Pick<ScanLimits, 'maxScanSize' | 'maxRecursion'>): number {
  return 2 * limits.maxScanSize + limits.maxRecursion * SLACK_BYTES;
}

export class ScanBudget {
  /** Bytes that went through the matchers, the input's included. */
  scanned = 0;
  /** Bytes unpacked and not yet through the matchers. */
  pending = 0;
  /** Objects taken out of containers. */
  objects = 0;
  /** Bytes of those objects. */
  bytesExtracted = 0;
  /** Bytes held right now in decompression output buffers. */
  held = 0;
  peakHeld = 0;
  private readonly deadline: number;

  constructor(readonly limits: ScanLimits, startedAt = Date.now()) {
    this.deadline = startedAt + limits.maxScanTime;
  }

  /** Bytes the matchers may still take (and unpacking may still produce). */
  get remainingScan(): number {
    return Math.max(0, this.limits.maxScanSize - this.scanned - this.pending);
  }

  timedOut(): boolean {
    return Date.now() > this.deadline;
  }

  hold(bytes: number): void {
    this.held += bytes;
    if (this.held > this.peakHeld) this.peakHeld = this.held;
  }

  release(bytes: number): void {
    this.held -= bytes;
  }
}
