/**
 * Text that comes from a server and ends up on a terminal: only strings, cut to a length, and with
 * control characters (which could move the cursor, rewrite lines or change colours) and bidi
 * overrides (which reorder what is shown) replaced by spaces.
 */

/** The longest server text kept, in UTF-16 code units (a policy reason is under 2,000). */
export const SERVER_TEXT_MAX_CHARS = 4000;

const UNSAFE_RE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]|\p{Cs}/gu;

/** `value` as safe text, or undefined when it is not a string. Newlines and tabs are kept. */
export function serverText(value: unknown, maxChars = SERVER_TEXT_MAX_CHARS): string | undefined {
  if (typeof value !== 'string') return undefined;
  const cut = value.length > maxChars ? `${value.slice(0, maxChars)}...` : value;
  return cut.replace(UNSAFE_RE, ' ');
}
