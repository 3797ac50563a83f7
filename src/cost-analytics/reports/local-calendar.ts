import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { badRequest, type DomainError } from '../../common/errors';
import { INVALID_PARAMETER_VALUE, pgErrorCode } from '../../common/pg-errors';

/** A local calendar day and the UTC instants it spans (23 or 25 hours on a DST change). */
export interface LocalDay {
  date: string;
  isoWeek: string;
  startsAt: Date;
  endsAt: Date;
}

/** A day, ISO week (Monday first) or calendar month in a time zone. */
export interface LocalPeriod {
  /** Its first local date, YYYY-MM-DD. */
  start: string;
  startsAt: Date;
  endsAt: Date;
}

export type PeriodUnit = 'day' | 'week' | 'month';

/** The 400 for a zone name PostgreSQL refuses (22023) though ICU accepted it. */
export function unknownTimeZone(): DomainError {
  return badRequest('timeZone', 'is not a time zone the database knows');
}

const DAYS_SQL = `
  SELECT d::date::text AS date, to_char(d, 'IYYY-"W"IW') AS iso_week, d AT TIME ZONE $3 AS starts_at
  FROM generate_series($1::date::timestamp, $2::date::timestamp + interval '1 day', interval '1 day') AS d
  ORDER BY d`;

const PERIODS_SQL = `
  SELECT l.start::date::text AS start, l.start AT TIME ZONE p.zone AS starts_at,
         (l.start + ('1 ' || p.unit)::interval) AT TIME ZONE p.zone AS ends_at,
         (l.start - ('1 ' || p.unit)::interval)::date::text AS previous_start,
         (l.start - ('1 ' || p.unit)::interval) AT TIME ZONE p.zone AS previous_starts_at
  FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS p(unit, zone, i),
       LATERAL (SELECT date_trunc(p.unit, $3::timestamptz AT TIME ZONE p.zone) AS start) AS l
  ORDER BY p.i`;

/**
 * Local calendars come from PostgreSQL's time zone database, the one place that decides
 * where a day, week or month starts in a zone (DST included), for reports and budgets alike.
 */
@Injectable()
export class LocalCalendar {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** The local days from `startDate` to `endDate`, both included. */
  async days(startDate: string, endDate: string, timeZone: string): Promise<LocalDay[]> {
    const rows: Array<{ date: string; iso_week: string; starts_at: Date }> = await this.zoned(() =>
      this.db.query(DAYS_SQL, [startDate, endDate, timeZone]),
    );
    return rows.slice(0, -1).map((row, index) => ({
      date: row.date,
      isoWeek: row.iso_week,
      startsAt: row.starts_at,
      endsAt: rows[index + 1].starts_at,
    }));
  }

  /** For each (unit, zone), the period containing `at` and the one before it. */
  async periodsAt(
    at: Date,
    requests: ReadonlyArray<{ unit: PeriodUnit; timeZone: string }>,
  ): Promise<Array<{ current: LocalPeriod; previous: LocalPeriod }>> {
    if (requests.length === 0) return [];
    const rows: Array<{ start: string; starts_at: Date; ends_at: Date; previous_start: string; previous_starts_at: Date }> = await this.zoned(() =>
      this.db.query(PERIODS_SQL, [requests.map((r) => r.unit), requests.map((r) => r.timeZone), at.toISOString()]),
    );
    return rows.map((row) => ({
      current: { start: row.start, startsAt: row.starts_at, endsAt: row.ends_at },
      previous: { start: row.previous_start, startsAt: row.previous_starts_at, endsAt: row.starts_at },
    }));
  }

  /** ICU (which validated the name) and PostgreSQL may disagree on a rare zone: that is still the caller's 400. */
  private async zoned<T>(query: () => Promise<T>): Promise<T> {
    try {
      return await query();
    } catch (error) {
      if (pgErrorCode(error) === INVALID_PARAMETER_VALUE) throw unknownTimeZone();
      throw error;
    }
  }
}
