/**
 * One page of a timeline for the HTTP route: at most `limit` entries after a cursor, computed with
 * the event loop given back every TIMELINE_TICK_INSTANTS instants of the sweep (so `/v1/health`
 * and every other request keep being answered while a long timeline is computed), and the sweep
 * stopped as soon as the page is full.
 *
 * A cursor names the last entry of a page (its instant and action), not a position: entries are
 * ordered by (instant, action), so the next page starts right after that entry even if rules
 * changed in between. It is opaque to clients: base64url of `<instant ms or empty>|<action>`.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { POLICY_ACTIONS, type PolicyAction } from './actions.js';
import type { PolicyRule } from './rule.js';
import { TIMELINE_TICK, walkTimeline, type TimelineEntry, type TimelineQuery, type WorkCounter } from './timeline.js';

export interface TimelinePage {
  changes: TimelineEntry[];
  /** Pass as `cursor` for the next page; null on the last page. */
  next_cursor: string | null;
}

interface Position {
  /** -Infinity for the entries "since the beginning". */
  atMs: number;
  action: number;
}

function positionOf(entry: TimelineEntry): Position {
  return { atMs: entry.at === null ? -Infinity : Date.parse(entry.at), action: POLICY_ACTIONS.indexOf(entry.action) };
}

function isAfter(a: Position, b: Position): boolean {
  return a.atMs > b.atMs || (a.atMs === b.atMs && a.action > b.action);
}

export function encodeTimelineCursor(entry: TimelineEntry): string {
  const at = entry.at === null ? '' : String(Date.parse(entry.at));
  return Buffer.from(`${at}|${entry.action}`, 'utf8').toString('base64url');
}

/** The position a cursor names, or null when it is not one this service made. */
export function decodeTimelineCursor(cursor: string): Position | null {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) return null;
  const match = /^(-?\d{1,16}|)\|([a-z.]{1,40})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) return null;
  const action = POLICY_ACTIONS.indexOf(match[2] as PolicyAction);
  if (action < 0) return null;
  return { atMs: match[1] === '' ? -Infinity : Number(match[1]), action };
}

export async function readTimelinePage(
  rules: readonly PolicyRule[],
  query: TimelineQuery,
  page: { after: Position | null; limit: number },
  work?: WorkCounter,
): Promise<TimelinePage> {
  const changes: TimelineEntry[] = [];
  let more = false;
  for (const item of walkTimeline(rules, query, work)) {
    if (item === TIMELINE_TICK) {
      await yieldToEventLoop();
      continue;
    }
    if (page.after !== null && !isAfter(positionOf(item), page.after)) continue;
    if (changes.length === page.limit) {
      more = true;
      break;
    }
    changes.push(item);
  }
  const lastEntry = changes[changes.length - 1];
  return { changes, next_cursor: more && lastEntry ? encodeTimelineCursor(lastEntry) : null };
}
