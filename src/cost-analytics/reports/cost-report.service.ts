import { Injectable } from '@nestjs/common';
import Decimal from 'decimal.js';
import { badRequest } from '../../common/errors';
import type { CostReport } from '../dto/cost-report.dto';
import type { UsageSummaryDto, WeeklyUsageDto } from '../dto/usage.dto';
import { formatUsd } from '../money';
import { QueryCacheSavingsService } from '../query-cache/query-cache-savings.service';
import { type KeyRow, RollupReader, type UsageCell, type UsageSums } from '../rollups/rollup-reader';
import { UnalignedRangeError } from '../rollups/rollup-spans';
import { CostProjectionService } from './cost-projection.service';
import { LaneUsage } from './lane-usage';
import { type LocalDay, LocalCalendar } from './local-calendar';
import { daysBetween, parseLocalDate, parseTimeZone } from './local-date';

/** Two years of days at most: a report is one query over the rollups, and this keeps it well under a second. */
export const MAX_REPORT_DAYS = 731;

export interface CostReportOptions {
  /** IANA time zone the days are cut in; default UTC. */
  timeZone?: string;
}

export interface CostReportCells {
  days: LocalDay[];
  cells: UsageCell[];
}

/** Sums as the API shows them (none: zeros), with the billed − local token difference. */
export function usageSummary(sums: UsageSums | undefined): UsageSummaryDto {
  return {
    items: sums?.items ?? 0,
    tokens: sums?.tokens ?? 0,
    localTokens: sums?.localTokens ?? 0,
    tokenDifference: (sums?.tokens ?? 0) - (sums?.localTokens ?? 0),
    costUsd: formatUsd(sums?.costUsd ?? '0'),
    unconfirmedTokens: sums?.unconfirmedTokens ?? 0,
    unconfirmedCostUsd: formatUsd(sums?.unconfirmedCostUsd ?? '0'),
  };
}

/** Most expensive first; equal costs by name, so the order never depends on the plan. */
function byCostDescending<T extends { costUsd: string }>(rows: T[], name: (row: T) => string): T[] {
  return rows.sort((a, b) => new Decimal(b.costUsd).comparedTo(a.costUsd) || name(a).localeCompare(name(b)));
}

/**
 * Cost reports over local days in any time zone, from the rollups only (never the raw
 * ledger): one query for the days and ISO weeks, one for models, categories and purposes.
 */
@Injectable()
export class CostReportService {
  constructor(
    private readonly calendar: LocalCalendar,
    private readonly reader: RollupReader,
    private readonly projection: CostProjectionService,
    private readonly cacheSavings: QueryCacheSavingsService,
    private readonly lanes: LaneUsage,
  ) {}

  async getCostReport(startDate: string, endDate: string, options: CostReportOptions = {}): Promise<CostReport> {
    const { days, timeZone } = await this.localDays(startDate, endDate, options);
    const periodStartsAt = days[0].startsAt;
    const periodEndsAt = days[days.length - 1].endsAt;
    const utcDay = (instant: number) => new Date(instant).toISOString().slice(0, 10);
    const [daily, keys, projectedMonthly, queryCacheSavings, byLane] = await Promise.all([
      this.read(() => this.reader.daysAndWeeks(days.map(toReportDay))),
      this.read(() => this.reader.byKey(periodStartsAt.getTime(), periodEndsAt.getTime())),
      this.read(() => this.projection.monthly(timeZone)),
      this.cacheSavings.flush().then(() => this.cacheSavings.between(utcDay(periodStartsAt.getTime()), utcDay(periodEndsAt.getTime() - 1))),
      this.read(() => this.lanes.between(periodStartsAt, periodEndsAt)),
    ]);
    const of = (dimension: KeyRow['dimension']) => keys.filter((row) => row.dimension === dimension);
    const total = usageSummary(of('total')[0]);
    return {
      periodStart: startDate,
      periodEnd: endDate,
      timeZone,
      periodStartsAt,
      periodEndsAt,
      totalTokens: total.tokens,
      totalCostUsd: total.costUsd,
      ...total,
      byDay: days.map((day, index) => ({ date: day.date, isoWeek: day.isoWeek, ...usageSummary(daily.days[index]) })),
      byWeek: weeks(days, daily.weeks),
      byCategory: byCostDescending(
        of('category').map((row) => ({ category: row.category, ...usageSummary(row) })),
        (row) => row.category ?? '',
      ),
      byModel: byCostDescending(
        of('model').map((row) => ({ model: row.model ?? '', ...usageSummary(row) })),
        (row) => row.model,
      ),
      byPurpose: byCostDescending(
        of('purpose').map((row) => ({ purpose: row.purpose ?? '', ...usageSummary(row) })),
        (row) => row.purpose,
      ),
      byLane,
      projectedMonthly,
      queryCacheSavings: { ...queryCacheSavings, costUsd: formatUsd(queryCacheSavings.costUsd) },
    };
  }

  /** Per local day, model, category and purpose: what the CSV export lists. */
  async getCostCells(startDate: string, endDate: string, options: CostReportOptions = {}): Promise<CostReportCells> {
    const { days } = await this.localDays(startDate, endDate, options);
    return { days, cells: await this.read(() => this.reader.cells(days.map(toReportDay))) };
  }

  /** Validates the request (400s name the field) and asks the database where each local day starts. */
  async localDays(startDate: string, endDate: string, options: CostReportOptions): Promise<{ days: LocalDay[]; timeZone: string }> {
    parseLocalDate('start', startDate);
    parseLocalDate('end', endDate);
    const timeZone = parseTimeZone('timeZone', options.timeZone ?? 'UTC');
    const length = daysBetween(startDate, endDate) + 1;
    if (length < 1) throw badRequest('end', 'must not be before start');
    if (length > MAX_REPORT_DAYS) throw badRequest('end', `must be at most ${MAX_REPORT_DAYS} days after start`);
    return { days: await this.calendar.days(startDate, endDate, timeZone), timeZone };
  }

  private async read<T>(query: () => Promise<T>): Promise<T> {
    try {
      return await query();
    } catch (error) {
      if (error instanceof UnalignedRangeError) {
        throw badRequest('timeZone', 'its UTC offset on these dates is not a whole number of quarter hours');
      }
      throw error;
    }
  }
}

function toReportDay(day: LocalDay) {
  return { from: day.startsAt.getTime(), to: day.endsAt.getTime(), isoWeek: day.isoWeek };
}

function weeks(days: LocalDay[], sums: Map<string, UsageSums>): WeeklyUsageDto[] {
  const order: WeeklyUsageDto[] = [];
  for (const day of days) {
    const last = order[order.length - 1];
    if (last?.isoWeek === day.isoWeek) {
      last.lastDate = day.date;
      last.days += 1;
    } else {
      order.push({ isoWeek: day.isoWeek, firstDate: day.date, lastDate: day.date, days: 1, ...usageSummary(sums.get(day.isoWeek)) });
    }
  }
  return order;
}
