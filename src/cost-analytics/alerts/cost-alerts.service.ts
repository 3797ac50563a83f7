import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import Decimal from 'decimal.js';
import type { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { type Budget, PERIOD_UNIT } from '../budgets/budget';
import { BudgetsService } from '../budgets/budgets.service';
import { CostClock } from '../cost-clock';
import type { AlertCheckResultDto, CostAlertDto, CostAlertPageDto } from '../dto/alert.dto';
import { recordedUntil } from '../reports/cost-projection';
import { type LocalPeriod, LocalCalendar } from '../reports/local-calendar';
import { RollupReader } from '../rollups/rollup-reader';
import { AlertWebhook } from './alert-webhook.service';
import { ALERT_COLUMNS, type CostAlertRow, toCostAlertDto } from './cost-alert-row';
import { readPage } from '../../database/read-page';

interface Crossing {
  budget: Budget;
  period: LocalPeriod;
  thresholdPercent: number;
  spentUsd: string;
}

/**
 * Budget alerts. A check sums each enabled budget's current period (and the previous one,
 * so spend in a period's last minutes is not missed at the boundary) and inserts one row
 * per threshold crossed; the unique (budget, period, threshold, limit) key makes each fire
 * exactly once however many schedulers check at the same moment (only the inserting check
 * logs it and hands it to the webhook), and a limit changed mid-period fires again on its
 * own crossings.
 */
@Injectable()
export class CostAlertsService {
  private readonly logger = new Logger(CostAlertsService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly budgets: BudgetsService,
    private readonly calendar: LocalCalendar,
    private readonly reader: RollupReader,
    private readonly webhook: AlertWebhook,
    private readonly clock: CostClock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async checkCostAlerts(): Promise<AlertCheckResultDto> {
    const asOf = this.clock.now();
    const budgets = await this.budgets.list({ enabledOnly: true });
    const crossings = await this.crossings(budgets, asOf);
    const fired = crossings.length > 0 ? await this.insert(crossings) : [];
    for (const alert of fired) {
      this.logger.warn(
        {
          alertId: alert.id,
          budget: alert.budgetName,
          thresholdPercent: alert.thresholdPercent,
          spentUsd: alert.spentUsd,
          limitUsd: alert.limitUsd,
          periodStart: alert.periodStart,
        },
        `cost alert: budget ${alert.budgetName} reached ${alert.thresholdPercent}% (${alert.spentUsd} of ${alert.limitUsd} USD, ${alert.period} from ${alert.periodStart})`,
      );
    }
    if (fired.some((alert) => alert.webhook.status === 'pending')) this.webhook.deliverSoon();
    return { budgetsChecked: budgets.length, fired };
  }

  async list(query: { budgetId?: string; limit: number; offset: number }): Promise<CostAlertPageDto> {
    const { rows, total } = await readPage<CostAlertRow>(
      this.db,
      {
        sql: `SELECT ${ALERT_COLUMNS} FROM cost_alerts a JOIN cost_budgets b ON b.id = a.budget_id
              WHERE ($1::uuid IS NULL OR a.budget_id = $1) ORDER BY a.fired_at DESC, a.threshold_percent DESC, a.id LIMIT $2 OFFSET $3`,
        params: [query.budgetId ?? null, query.limit, query.offset],
      },
      { sql: `SELECT count(*)::int AS total FROM cost_alerts WHERE ($1::uuid IS NULL OR budget_id = $1)`, params: [query.budgetId ?? null] },
    );
    return { total, items: rows.map(toCostAlertDto) };
  }

  private async crossings(budgets: Budget[], asOf: Date): Promise<Crossing[]> {
    if (budgets.length === 0) return [];
    const periods = await this.calendar.periodsAt(
      asOf,
      budgets.map((budget) => ({ unit: PERIOD_UNIT[budget.period], timeZone: budget.timeZone })),
    );
    const candidates = budgets.flatMap((budget, index) => {
      const { current, previous } = periods[index];
      // A budget created today has nothing to say about yesterday.
      return previous.endsAt > budget.createdAt
        ? [
            { budget, period: current },
            { budget, period: previous },
          ]
        : [{ budget, period: current }];
    });
    const spentUntil = recordedUntil(asOf);
    const sums = await this.reader.totals(
      candidates.map(({ budget, period }) => ({
        from: period.startsAt.getTime(),
        to: Math.min(period.endsAt.getTime(), spentUntil),
        modelId: budget.modelId,
        category: budget.category,
      })),
    );
    return candidates.flatMap(({ budget, period }, index) => {
      const spent = new Decimal(sums[index].costUsd);
      const limit = new Decimal(budget.limitUsd);
      return budget.thresholdsPercent
        .filter((threshold) => spent.mul(100).gte(limit.mul(threshold)))
        .map((thresholdPercent) => ({ budget, period, thresholdPercent, spentUsd: sums[index].costUsd }));
    });
  }

  /** Inserts the crossings not yet recorded; returns only those this call inserted. */
  private async insert(crossings: Crossing[]): Promise<CostAlertDto[]> {
    const webhookStatus = this.config.costAnalytics.webhook.url ? 'pending' : 'not_configured';
    const rows: CostAlertRow[] = await this.db.query(
      `WITH inserted AS (
         INSERT INTO cost_alerts AS a (budget_id, period_start, period_starts_at, period_ends_at, threshold_percent, level,
                                       spent_usd, limit_usd, webhook_status, webhook_next_attempt_at)
         SELECT c.budget_id, c.period_start, c.starts_at, c.ends_at, c.threshold, CASE WHEN c.threshold >= 100 THEN 'exceeded' ELSE 'warning' END,
                c.spent, c.limit_usd, $8::text, CASE WHEN $8::text = 'pending' THEN now() END
         FROM unnest($1::uuid[], $2::date[], $3::timestamptz[], $4::timestamptz[], $5::int[], $6::numeric[], $7::numeric[])
           AS c(budget_id, period_start, starts_at, ends_at, threshold, spent, limit_usd)
         ORDER BY c.budget_id, c.period_start, c.threshold
         ON CONFLICT (budget_id, period_start, threshold_percent, limit_usd) DO NOTHING
         RETURNING a.*)
       SELECT ${ALERT_COLUMNS} FROM inserted a JOIN cost_budgets b ON b.id = a.budget_id
       ORDER BY a.period_start, b.name, a.threshold_percent`,
      [
        crossings.map((c) => c.budget.id),
        crossings.map((c) => c.period.start),
        crossings.map((c) => c.period.startsAt.toISOString()),
        crossings.map((c) => c.period.endsAt.toISOString()),
        crossings.map((c) => c.thresholdPercent),
        crossings.map((c) => c.spentUsd),
        crossings.map((c) => c.budget.limitUsd),
        webhookStatus,
      ],
    );
    return rows.map(toCostAlertDto);
  }
}
