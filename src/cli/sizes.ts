import { UsageError } from './exit-codes.js';

/** Parses a size as clamscan does: a number of bytes, or with a K or M suffix (Vigil also takes G). */
export function parseSize(text: string, option: string): number {
  const m = /^(\d+)([kKmMgG]?)$/.exec(text.trim());
  if (!m) throw new UsageError(`${option}: '${text}' is not a size (a number, optionally followed by K, M or G)`);
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase()]!;
  return Number(m[1]) * unit;
}

export function formatMiB(bytes: number): string {
  return (bytes / (1024 * 1024)).toFixed(2);
}
