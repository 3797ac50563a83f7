import { Injectable } from '@nestjs/common';
import Decimal from 'decimal.js';
import { CostClock } from '../cost-clock';
import type { BudgetStatusDto } from '../dto/budget.dto';
import { formatEstimateUsd, formatUsd } from '../money';
import { forecastPeriod, paceWindow } from '../reports/cost-projection';
import { LocalCalendar } from '../reports/local-calendar';
import { localDateOf } from '../reports/local-date';
import { RollupReader } from '../rollups/rollup-reader';
import { type Budget, PERIOD_UNIT } from './budget';
import { toBudgetDto } from './budget-dto.mapper';

/** A budget's status with the budget itself (its ids and scope), before it becomes a DTO. */
export type BudgetStatus = Omit<BudgetStatusDto, 'budget'> & { budget: Budget };

export function toBudgetStatusDto(status: BudgetStatus): BudgetStatusDto {
  return { ...status, budget: toBudgetDto(status.budget) };
}

/** Spend, pace and forecast of budgets in their current periods, from the rollups in one query. */
@Injectable()
export class BudgetStatusService {
  constructor(
    private readonly calendar: LocalCalendar,
    private readonly reader: RollupReader,
    private readonly clock: CostClock,
  ) {}

  /** `firstUsageAt`, when the caller has already read it, saves reading it again. */
  async statuses(budgets: readonly Budget[], asOf: Date = this.clock.now(), firstUsageAt?: Date | null): Promise<BudgetStatus[]> {
    if (budgets.length === 0) return [];
    const [periods, firstUsage] = await Promise.all([
      this.calendar.periodsAt(
        asOf,
        budgets.map((budget) => ({ unit: PERIOD_UNIT[budget.period], timeZone: budget.timeZone })),
      ),
      firstUsageAt !== undefined ? firstUsageAt : this.reader.firstUsageAt(),
    ]);
    // Usage recorded so far lies before the end of the current quarter hour, where the pace window ends.
    const pace = paceWindow(asOf, firstUsage);
    const sums = await this.reader.totals(
      budgets.flatMap((budget, index) => {
        const scope = { modelId: budget.modelId, category: budget.category };
        const { startsAt, endsAt } = periods[index].current;
        return [
          { from: startsAt.getTime(), to: Math.min(endsAt.getTime(), pace.to), ...scope },
          { from: pace.from, to: pace.to, ...scope },
        ];
      }),
    );
    return budgets.map((budget, index) => {
      const period = periods[index].current;
      const spent = new Decimal(sums[2 * index].costUsd);
      const dailyPace = new Decimal(sums[2 * index + 1].costUsd).div(pace.days);
      const limit = new Decimal(budget.limitUsd);
      const forecast = forecastPeriod({ spentUsd: spent, paceUsdPerDay: dailyPace, asOf, endsAt: period.endsAt, limitUsd: limit });
      return {
        budget,
        period,
        spentUsd: formatUsd(spent),
        percentUsed: spent.div(limit).mul(100).toDecimalPlaces(1).toNumber(),
        dailyPaceUsd: formatEstimateUsd(dailyPace),
        projectedPeriodCostUsd: formatEstimateUsd(forecast.projectedUsd),
        exceeded: forecast.exceeded,
        crossesAt: forecast.crossesAt,
        crossesOn: forecast.crossesAt ? localDateOf(forecast.crossesAt, budget.timeZone) : null,
      };
    });
  }
}
