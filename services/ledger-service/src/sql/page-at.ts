/**
 * A page's sort timestamp as text with PostgreSQL's full (microsecond)
 * precision: a cursor built from a JS Date would cut it to milliseconds and
 * hand a row written by anything but the ledger (a restore, a migration)
 * back on the next page.
 */
export const pageAt = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS page_at`;
