/** Reading one setting's value from text as the command line gives it (clamscan(1)'s forms). */

/** A size: a number of bytes, or with a K or M suffix (Vigil also takes G). Undefined when it is not one. */
export function readSize(text: string): number | undefined {
  const m = /^(\d+)([kKmMgG]?)$/.exec(text.trim());
  if (!m) return undefined;
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase()]!;
  return Number(m[1]) * unit;
}

/** A whole number from `min` to `max`; undefined otherwise. */
export function readCount(text: string, [min, max]: readonly [number, number]): number | undefined {
  const t = text.trim();
  const n = Number(t);
  return /^\d+$/.test(t) && n >= min && n <= max ? n : undefined;
}

/**
 * A count as a setting: its value, or what 0 stands for (`zero`), or undefined when it is out of
 * range. `no-limit` is Infinity, which every limit check compares against as "never reached".
 */
export function readCountSetting(text: string, range: readonly [number, number], zero: 'no-limit' | 'default' | undefined): number | 'default' | undefined {
  if (zero !== undefined && /^0+$/.test(text.trim())) return zero === 'no-limit' ? Infinity : 'default';
  return readCount(text, range);
}

/** The warning libclamav prints for a 0 it does not allow, in its words. */
export function zeroNotAllowed(name: string, fallback: number): string {
  return `${name}: the value of 0 is not allowed, using default: ${fallback}`;
}

/** The option's long name (`--max-filesize`) from Commander's declaration (`--max-filesize <size>`). */
export function longFlagName(flag: string): string {
  return flag.split(/[ ,]+/).find((part) => part.startsWith('--'))!;
}
