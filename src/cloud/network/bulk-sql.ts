/**
 * Bulk statements that stay one SQL text whatever the number of rows: the rows travel as one JSON
 * text parameter and the database unpacks them (SQLite `json_each`, PostgreSQL `json_to_recordset`),
 * so a batch of 1,000 events is a handful of statements, each prepared once. Lists of hex strings
 * (hashes, buckets) travel as a JSON array on SQLite and as an array literal on PostgreSQL, where
 * `= ANY(array)` keeps the index in use.
 */
import type { Queryable } from '../store/store.js';

export type ColumnType = 'text' | 'bigint';

/** A sub-select of the rows in one JSON parameter, with the named columns: use as `FROM ${jsonRows(...)} AS j`. */
export function jsonRows(q: Queryable, columns: Readonly<Record<string, ColumnType>>): string {
  const names = Object.keys(columns);
  if (q.dialect === 'postgres') return `(SELECT * FROM json_to_recordset(?::json) AS x(${names.map((n) => `${n} ${columns[n]}`).join(', ')}))`;
  return `(SELECT ${names.map((n) => `json_extract(value, '$.${n}') AS ${n}`).join(', ')} FROM json_each(?))`;
}

/** ` IN (...)` / ` = ANY(...)` over one parameter made by `hexListParam`. */
export function inHexList(q: Queryable): string {
  return q.dialect === 'postgres' ? ' = ANY(?::text[])' : ' IN (SELECT value FROM json_each(?))';
}

/** The parameter for `inHexList`; the values must be hex (nothing to quote in an array literal). */
export function hexListParam(q: Queryable, values: readonly string[]): string {
  for (const v of values) if (!/^[0-9a-f]+$/.test(v)) throw new Error(`not hex: ${JSON.stringify(v)}`);
  return q.dialect === 'postgres' ? `{${values.join(',')}}` : JSON.stringify(values);
}
