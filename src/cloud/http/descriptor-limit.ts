/**
 * The process's limit of open file descriptors (`ulimit -n`, the soft RLIMIT_NOFILE), and the
 * default connection cap derived from it. Node has no getrlimit; Linux shows the limits in
 * /proc/self/limits. Elsewhere, or when that cannot be read, a safe default is assumed.
 */
import { readFileSync } from 'node:fs';

/** Assumed when the limit cannot be read: the common default soft limit. */
export const FALLBACK_DESCRIPTOR_LIMIT = 1024;
/** Descriptors kept free of connections, at least: stdio, the event loop, the store, files, refusals. */
export const MIN_DESCRIPTOR_RESERVE = 64;

/** The soft limit from the text of /proc/self/limits, or undefined when it is absent or unlimited. */
export function parseDescriptorLimit(limitsText: string): number | undefined {
  const match = /^Max open files\s+(\S+)\s+\S+/m.exec(limitsText);
  const soft = Number(match?.[1]);
  return Number.isSafeInteger(soft) && soft > 0 ? soft : undefined;
}

export function readDescriptorLimit(): number {
  try {
    return parseDescriptorLimit(readFileSync('/proc/self/limits', 'utf8')) ?? FALLBACK_DESCRIPTOR_LIMIT;
  } catch {
    return FALLBACK_DESCRIPTOR_LIMIT;
  }
}

/** Connections allowed under a descriptor limit: the limit less an eighth of it (at least MIN_DESCRIPTOR_RESERVE). */
export function connectionsBelow(descriptorLimit: number): number {
  return Math.max(1, descriptorLimit - Math.max(MIN_DESCRIPTOR_RESERVE, Math.floor(descriptorLimit / 8)));
}
