/**
 * Checks shared by the readers of signed or hashed JSON (audit records, license files): a parse
 * that refuses duplicate member names (JSON.parse keeps only the last, so one reader could see one
 * value and a hash or signature cover another), strict ISO 8601 UTC times, and safe renderings of
 * hostile values for messages.
 */

/** Members written in `text`, which JSON.parse accepted: the colons outside strings. Linear time. */
export function countWrittenMembers(text: string): number {
  let members = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // a backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x3a) members++;
  }
  return members;
}

/** Members of every object in a parsed value, without recursion (JSON.parse nests deeper than the stack). */
export function countMembers(value: unknown): number {
  let members = 0;
  const todo: unknown[] = [value];
  while (todo.length > 0) {
    const v = todo.pop();
    if (v === null || typeof v !== 'object') continue;
    const items = Array.isArray(v) ? v : Object.values(v);
    if (!Array.isArray(v)) members += items.length;
    for (const item of items) todo.push(item);
  }
  return members;
}

/** True when some object in the text that parsed to `value` names a member twice. */
export function hasDuplicateMembers(text: string, value: unknown): boolean {
  return countWrittenMembers(text) !== countMembers(value);
}

const ISO_UTC_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?Z$/;

/** `YYYY-MM-DDTHH:MM:SS[.fraction]Z` naming a real calendar instant. */
export function isIsoUtc(text: string): boolean {
  const m = ISO_UTC_RE.exec(text);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const daysInMonth = month === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth && hour <= 23 && minute <= 59 && second <= 59;
}

/** Text safe for a terminal: control, bidi and lone-surrogate characters escaped; cut at `max` characters. */
export function printable(text: string, max = Infinity): string {
  const short = text.length > max ? `${text.slice(0, max)}...` : text;
  return short.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]|\p{Cs}/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A value for a message: its kind, or a short, printable rendering. */
export function describeValue(v: unknown, maxChars = 80): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return v.length > maxChars ? `${printable(JSON.stringify(v.slice(0, maxChars)))}... (${v.length} characters)` : printable(JSON.stringify(v));
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return `a ${typeof v}`;
}
