/**
 * Reading values back from the hot path's pool (sql-pool.ts): it returns DATETIME columns as text
 * (in UTC, the sessions' time zone) and JSON columns as text, the same on MariaDB and MySQL.
 */

/** A DATETIME read back as text ("YYYY-MM-DD hh:mm:ss.fff"), which is UTC; a Date or a zoned ISO text as it is. */
export function utcDate(value: unknown): Date {
  if (value instanceof Date) return value;
  const text = String(value);
  return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text.replace(' ', 'T')}Z`);
}

export function utcDateOrNull(value: unknown): Date | null {
  return value === null || value === undefined ? null : utcDate(value);
}

/** A JSON column's value (text on MariaDB; MySQL drivers may already have parsed it). */
export function jsonValue<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}
