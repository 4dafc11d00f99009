/**
 * Times of legal texts: a rule takes effect at a wall time in the zone of the text ("2024-09-29 00:00
 * US Eastern"), and is stored and compared as a UTC instant. This converts between the two with
 * nothing but `Intl.DateTimeFormat` (the runtime's IANA database), and reads ISO 8601 instants.
 *
 * Local wall time to instant, the algorithm:
 *   1. Read the wall time as if it were UTC: `wall` (ms).
 *   2. Ask Intl for the zone's offset at instants near it (a day before, at, a day after), and for
 *      each candidate offset `o` keep the instant `wall - o` if the zone really has offset `o` there.
 *   3. One instant: done. Two (an ambiguous time, clocks set back): the EARLIER instant, i.e. the
 *      offset in effect before the change (01:30 on 2024-11-03 in New York is 01:30 EDT = 05:30Z).
 *      None (a nonexistent time, clocks set forward): the wall time is moved forward by the length of
 *      the gap, so it reads in the LATER offset (02:30 on 2024-03-10 in New York becomes 03:30 EDT =
 *      07:30Z). This is java.time's and Temporal's "compatible" choice; for a rule it means "from the
 *      first instant the clocks show that time or later".
 */
import { PolicyError } from './errors.js';

/** A wall-clock time without zone. `second` may be 0..59 (no leap seconds, as in Intl and Date). */
export interface LocalDateTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const DAY_MS = 86_400_000;
const LOCAL_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;
const INSTANT_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})$/;
/** ISO 8601 / RFC 3339 allow offsets up to ±23:59; real zones stay within ±14:00. */
const MAX_OFFSET_MINUTES = 23 * 60 + 59;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (f === undefined) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        era: 'short',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch (cause) {
      throw new PolicyError('INVALID_ZONE', `unknown time zone "${zone}"`, { cause });
    }
    formatters.set(zone, f);
  }
  return f;
}

/** True when `zone` is an IANA zone name this runtime knows (e.g. `America/New_York`, `UTC`). */
export function isValidTimeZone(zone: string): boolean {
  // Intl also accepts offsets like "+05:00" in newer runtimes: a rule names a zone, not an offset.
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(zone)) return false;
  try {
    formatterFor(zone);
    return true;
  } catch {
    return false;
  }
}

/** Milliseconds since the epoch of a wall time read as UTC; years 0..99 are not shifted to 19xx. */
function readAsUtc(t: LocalDateTime): number {
  const d = new Date(Date.UTC(2000, 0, 1, t.hour, t.minute, t.second));
  d.setUTCFullYear(t.year, t.month - 1, t.day);
  return d.getTime();
}

function daysInMonth(year: number, month: number): number {
  return new Date(readAsUtc({ year, month: month + 1, day: 0, hour: 0, minute: 0, second: 0 })).getUTCDate();
}

function isValidLocal(t: LocalDateTime): boolean {
  return (
    t.year >= 1 && t.month >= 1 && t.month <= 12 && t.day >= 1 && t.day <= daysInMonth(t.year, t.month) &&
    t.hour <= 23 && t.minute <= 59 && t.second <= 59
  );
}

/** The wall time that `instant` shows in `zone` (seconds precision). */
export function toLocalDateTime(instant: Date, zone: string): LocalDateTime {
  const fields: Record<string, string> = {};
  for (const part of formatterFor(zone).formatToParts(instant)) fields[part.type] = part.value;
  const year = Number(fields.year);
  return {
    year: fields.era === 'BC' || fields.era === 'B' ? 1 - year : year,
    month: Number(fields.month),
    day: Number(fields.day),
    hour: Number(fields.hour),
    minute: Number(fields.minute),
    second: Number(fields.second),
  };
}

/** The zone's UTC offset at an instant, in milliseconds (positive east of Greenwich). */
export function zoneOffsetMs(instantMs: number, zone: string): number {
  const wholeSecond = Math.floor(instantMs / 1000) * 1000;
  return readAsUtc(toLocalDateTime(new Date(wholeSecond), zone)) - wholeSecond;
}

/** The instant at which `zone` shows `local`; see the module header for gaps and overlaps. */
export function localToUtc(local: LocalDateTime, zone: string): Date {
  if (!isValidLocal(local)) throw new PolicyError('INVALID_TIME', `not a calendar time: ${JSON.stringify(local)}`);
  const wall = readAsUtc(local);
  const offsets = new Set([wall - DAY_MS, wall, wall + DAY_MS].map((ms) => zoneOffsetMs(ms, zone)));
  // The offset at each first guess catches a second change within the two-day window.
  for (const o of [...offsets]) offsets.add(zoneOffsetMs(wall - o, zone));
  const exact = [...offsets].map((o) => wall - o).filter((t) => zoneOffsetMs(t, zone) === wall - t);
  if (exact.length > 0) return new Date(Math.min(...exact));
  // A gap: the clocks jumped forward, so the offset before the jump is the smallest; using it gives
  // the latest candidate instant, which reads as the wall time moved forward by the gap.
  return new Date(wall - Math.min(...offsets));
}

/** Reads a local wall time `YYYY-MM-DDTHH:MM[:SS]` (no offset, no fraction); null if it is not one. */
export function parseLocalDateTime(text: string): LocalDateTime | null {
  const m = LOCAL_RE.exec(text);
  if (m === null) return null;
  const t: LocalDateTime = {
    year: Number(m[1]),
    month: Number(m[2]),
    day: Number(m[3]),
    hour: Number(m[4]),
    minute: Number(m[5]),
    second: m[6] === undefined ? 0 : Number(m[6]),
  };
  return isValidLocal(t) ? t : null;
}

/**
 * Reads an ISO 8601 instant with `Z` or `±HH:MM` (seconds and a fraction optional; the fraction is
 * truncated to milliseconds); null if it is not one. A text without offset is NOT an instant.
 */
export function parseInstant(text: string): Date | null {
  const m = INSTANT_RE.exec(text);
  if (m === null) return null;
  const local: LocalDateTime = {
    year: Number(m[1]),
    month: Number(m[2]),
    day: Number(m[3]),
    hour: Number(m[4]),
    minute: Number(m[5]),
    second: m[6] === undefined ? 0 : Number(m[6]),
  };
  if (!isValidLocal(local)) return null;
  const millis = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  const zone = m[8] ?? 'Z';
  let offsetMinutes = 0;
  if (zone !== 'Z') {
    const hours = Number(zone.slice(1, 3));
    const minutes = Number(zone.slice(4, 6));
    if (minutes > 59) return null;
    offsetMinutes = (zone.startsWith('-') ? -1 : 1) * (hours * 60 + minutes);
    if (Math.abs(offsetMinutes) > MAX_OFFSET_MINUTES) return null;
  }
  return new Date(readAsUtc(local) + millis - offsetMinutes * 60_000);
}

/**
 * Reads a rule time: an instant as is, or a local wall time in `zone`. Throws INVALID_TIME for a text
 * of neither form or a local time without zone, INVALID_ZONE for an unknown zone.
 */
export function resolveTime(text: string, zone?: string): Date {
  const instant = parseInstant(text);
  if (instant !== null) return instant;
  const local = parseLocalDateTime(text);
  if (local === null) throw new PolicyError('INVALID_TIME', `not an ISO 8601 instant or local time: "${text}"`);
  if (zone === undefined) throw new PolicyError('INVALID_TIME', `local time "${text}" needs a time zone`);
  return localToUtc(local, zone);
}
