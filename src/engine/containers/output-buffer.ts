/**
 * Where a decompressor writes an object: a buffer that grows by doubling up to a cap fixed before
 * the first byte (from the limits, never from a size the archive declares), with every byte of its
 * capacity accounted in the scan budget.
 */
import { SLACK_BYTES, type ScanBudget } from './scan-budget.js';

const FIRST_CAPACITY = 64 * 1024;

export class OutputBuffer {
  private buf = new Uint8Array(0);
  private used = 0;
  /** Set when more bytes came than the cap allows (the rest were dropped). */
  overflowed = false;

  constructor(private readonly budget: ScanBudget, readonly cap: number) {}

  get length(): number {
    return this.used;
  }

  /** Appends what fits; returns false once the cap is reached, so that the producer stops. */
  push(chunk: Uint8Array): boolean {
    const room = this.cap - this.used;
    const take = Math.min(room, chunk.length);
    if (take > 0) {
      this.reserve(this.used + take);
      this.buf.set(take === chunk.length ? chunk : chunk.subarray(0, take), this.used);
      this.used += take;
      this.budget.pending += take;
    }
    if (chunk.length > room) this.overflowed = true;
    return !this.overflowed;
  }

  /** Ends writing: trims the capacity to the content (within SLACK_BYTES) and returns the bytes. */
  finish(): Uint8Array {
    if (this.buf.length - this.used > SLACK_BYTES) {
      this.budget.hold(this.used);
      const trimmed = this.buf.slice(0, this.used);
      this.budget.release(this.buf.length);
      this.buf = trimmed;
    }
    return this.bytes();
  }

  private reserve(need: number): void {
    if (need <= this.buf.length) return;
    const size = Math.min(this.cap, Math.max(need, this.buf.length * 2, FIRST_CAPACITY));
    // Both buffers are alive during the copy, and both are counted.
    this.budget.hold(size);
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.used));
    this.budget.release(this.buf.length);
    this.buf = next;
  }

  bytes(): Uint8Array {
    return this.buf.subarray(0, this.used);
  }

  /** Gives the memory back to the budget (the content must have been counted as scanned); the buffer must not be used after. */
  release(): void {
    this.budget.release(this.buf.length);
    this.buf = new Uint8Array(0);
    this.used = 0;
  }
}
