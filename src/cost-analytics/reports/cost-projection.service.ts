import { Injectable } from '@nestjs/common';
import Decimal from 'decimal.js';
import { BudgetStatusService, toBudgetStatusDto } from '../budgets/budget-status.service';
import { BudgetsService } from '../budgets/budgets.service';
import { CostClock } from '../cost-clock';
import type { MonthlyProjectionDto } from '../dto/cost-report.dto';
import { formatEstimateUsd, formatUsd } from '../money';
import { GRAIN_MS } from '../rollups/rollup-tables';
import { RollupReader } from '../rollups/rollup-reader';
import { forecastPeriod, paceWindow } from './cost-projection';
import { LocalCalendar } from './local-calendar';

/**
 * This month in a time zone: month-to-date actual + the trailing 7-day daily pace × the
 * days left (see cost-projection.ts and the README), and every budget's forecast.
 */
@Injectable()
export class CostProjectionService {
  constructor(
    private readonly calendar: LocalCalendar,
    private readonly reader: RollupReader,
    private readonly budgets: BudgetsService,
    private readonly budgetStatus: BudgetStatusService,
    private readonly clock: CostClock,
  ) {}

  async monthly(timeZone: string, asOf: Date = this.clock.now()): Promise<MonthlyProjectionDto> {
    const [[{ current: month }], firstUsageAt] = await Promise.all([
      this.calendar.periodsAt(asOf, [{ unit: 'month', timeZone }]),
      this.reader.firstUsageAt(),
    ]);
    const pace = paceWindow(asOf, firstUsageAt);
    const [[monthToDate, paceSums], budgets] = await Promise.all([
      this.reader.totals([
        { from: month.startsAt.getTime(), to: Math.min(month.endsAt.getTime(), pace.to) },
        { from: pace.from, to: pace.to },
      ]),
      this.budgets.list({ enabledOnly: true }).then((enabled) => this.budgetStatus.statuses(enabled, asOf, firstUsageAt)),
    ]);
    const dailyPace = new Decimal(paceSums.costUsd).div(pace.days);
    const forecast = forecastPeriod({ spentUsd: new Decimal(monthToDate.costUsd), paceUsdPerDay: dailyPace, asOf, endsAt: month.endsAt });
    return {
      month: month.start.slice(0, 7),
      timeZone,
      asOf,
      monthStartsAt: month.startsAt,
      monthEndsAt: month.endsAt,
      daysInMonth: Math.round((month.endsAt.getTime() - month.startsAt.getTime()) / GRAIN_MS.day),
      monthToDateCostUsd: formatUsd(monthToDate.costUsd),
      dailyPaceUsd: formatEstimateUsd(dailyPace),
      paceWindowDays: pace.days.toDecimalPlaces(3).toNumber(),
      forecastRemainingUsd: formatEstimateUsd(forecast.forecastRemainingUsd),
      projectedCostUsd: formatEstimateUsd(forecast.projectedUsd),
      budgets: budgets.map(toBudgetStatusDto),
    };
  }
}
