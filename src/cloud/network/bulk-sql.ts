/**
 * Statements over many rows, written once per dialect. PostgreSQL gets all rows in one statement,
 * as one JSON text parameter unpacked by `json_to_recordset` (one round trip however many rows);
 * SQLite runs a prepared single-row statement once per row, inside the caller's transaction (no
 * round trips there, and better-sqlite3 runs a prepared statement in microseconds, where unpacking
 * JSON in SQL costs more). Lists of hex strings (hashes, buckets) travel as a JSON array on SQLite
 * and as an array literal on PostgreSQL, where `= ANY(array)` keeps the index in use.
 */
import type { Queryable, SqlValue } from '../store/index.js';

export type ColumnType = 'text' | 'bigint';
export type Columns = Readonly<Record<string, ColumnType>>;
export type Row = Readonly<Record<string, SqlValue>>;

export interface RowStatement {
  /** SQLite: run once per row, a `?` for each column in the order of `columns`. */
  sqlite: string;
  /** PostgreSQL: run once; `rows` is a sub-select of every row with the named columns (`FROM ${rows} AS j`). */
  postgres(rows: string): string;
  /** Whether the statement returns rows (`RETURNING`); they are collected. */
  returning?: boolean;
}

/** Runs `statement` for `rows`; returns what it returned (`RETURNING`), or the number of rows changed. */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the type of the rows its RETURNING clause gives back
export async function forEachRow<T = never>(q: Queryable, columns: Columns, rows: readonly Row[], statement: RowStatement): Promise<{ returned: T[]; changes: number }> {
  const names = Object.keys(columns);
  if (rows.length === 0) return { returned: [], changes: 0 };
  if (q.dialect === 'postgres') {
    const source = `(SELECT * FROM json_to_recordset(?::json) AS x(${names.map((n) => `${n} ${columns[n]!}`).join(', ')}))`;
    const param = JSON.stringify(rows.map((r) => Object.fromEntries(names.map((n) => [n, r[n] ?? null]))));
    if (statement.returning) {
      const returned = await q.all<T>(statement.postgres(source), [param]);
      return { returned, changes: returned.length };
    }
    return { returned: [], changes: (await q.run(statement.postgres(source), [param])).changes };
  }
  const returned: T[] = [];
  let changes = 0;
  for (const row of rows) {
    const params = names.map((n) => row[n] ?? null);
    if (statement.returning) returned.push(...(await q.all<T>(statement.sqlite, params)));
    else changes += (await q.run(statement.sqlite, params)).changes;
  }
  return { returned, changes: statement.returning ? returned.length : changes };
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
