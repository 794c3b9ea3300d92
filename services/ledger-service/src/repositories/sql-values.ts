/**
 * Value conversions at the SQL boundary. MikroORM's raw execute returns
 * timestamptz as PostgreSQL text ("2026-11-23 09:15:35.062+00") and bigint
 * as a string; arrays are bound as array literals (a JS array would be
 * expanded into a list).
 */
export function pgTimestamp(value: string | Date | null): Date | null {
  if (value === null) return null;
  if (value instanceof Date) return value;
  const iso = value.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00');
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) throw new Error(`unparsable timestamp from PostgreSQL: ${value}`);
  return date;
}

export { uuidArray } from '@ops/db';

export function pgBigint(value: string | number | null): number | null {
  return value === null ? null : Number(value);
}
