import { badRequest } from '../../common/errors';

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** An IANA name (Area/City, UTC, Etc/GMT+5…). Offsets such as "+05:30" are refused: PostgreSQL would read them as POSIX zones, sign inverted. */
const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/;

/** A calendar date `YYYY-MM-DD` that exists (no 2026-02-30), or a 400 naming the field. */
export function parseLocalDate(field: string, value: string): string {
  const match = DATE.exec(value);
  const [year, month, day] = match ? match.slice(1).map(Number) : [0, 0, 0];
  const date = new Date(Date.UTC(year, month - 1, day));
  if (!match || year < 1970 || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    throw badRequest(field, 'must be a calendar date YYYY-MM-DD from 1970 on');
  }
  return value;
}

/** Whole days from `from` to `to` (dates as YYYY-MM-DD). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

/** An IANA time zone name both ICU and the tz database know, or a 400 naming the field. */
export function parseTimeZone(field: string, value: string): string {
  if (value.length > 64 || !ZONE_NAME.test(value)) throw badRequest(field, 'must be an IANA time zone name such as Europe/Berlin');
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
  } catch {
    throw badRequest(field, `${value} is not a known IANA time zone`);
  }
  return value;
}

/** The calendar date of an instant in a time zone. */
export function localDateOf(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}
