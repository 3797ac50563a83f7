import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { loadConfig, type AppConfig } from '../../src/config/app-config';
import { AlertWebhook } from '../../src/cost-analytics/alerts/alert-webhook.service';
import { CostAlertsService } from '../../src/cost-analytics/alerts/cost-alerts.service';
import { BudgetGate } from '../../src/cost-analytics/budgets/budget-gate.service';
import { BudgetStatusService } from '../../src/cost-analytics/budgets/budget-status.service';
import { BudgetsService } from '../../src/cost-analytics/budgets/budgets.service';
import { CostClock } from '../../src/cost-analytics/cost-clock';
import { ModelPricesService } from '../../src/cost-analytics/prices/model-prices.service';
import { CostProjectionService } from '../../src/cost-analytics/reports/cost-projection.service';
import { LaneUsage } from '../../src/cost-analytics/reports/lane-usage';
import { CostReportService } from '../../src/cost-analytics/reports/cost-report.service';
import { QueryCacheSavingsService } from '../../src/cost-analytics/query-cache/query-cache-savings.service';
import { LocalCalendar } from '../../src/cost-analytics/reports/local-calendar';
import { ReconciliationService } from '../../src/cost-analytics/reports/reconciliation.service';
import { RollupReader } from '../../src/cost-analytics/rollups/rollup-reader';
import { ROLLUP_TABLES, TOTALS_TABLES } from '../../src/cost-analytics/rollups/rollup-tables';
import { UsageLedgerService } from '../../src/cost-analytics/usage-ledger.service';
import type { UsagePurpose } from '../../src/cost-analytics/usage-purpose';

/** A clock a test sets: the 1st of a month, December, the last quarter hour of January… */
export class FixedClock extends CostClock {
  constructor(public at: Date = new Date()) {
    super();
  }

  override now(): Date {
    return this.at;
  }
}

/** The cost-analytics services wired by hand over one database, as the module wires them. */
export function costServices(db: DataSource, options: { clock?: FixedClock; env?: Record<string, string> } = {}) {
  const config: AppConfig = loadConfig({ ROLE: 'scheduler', ...(options.env ?? {}) });
  const clock = options.clock ?? new FixedClock();
  const ledger = new UsageLedgerService(db);
  const calendar = new LocalCalendar(db);
  const reader = new RollupReader(db);
  const budgets = new BudgetsService(db);
  const budgetStatus = new BudgetStatusService(calendar, reader, clock);
  const projection = new CostProjectionService(calendar, reader, budgets, budgetStatus, clock);
  const reports = new CostReportService(calendar, reader, projection, new QueryCacheSavingsService(db), new LaneUsage(db));
  const webhook = new AlertWebhook(db, config);
  return {
    config,
    clock,
    ledger,
    reader,
    budgets,
    budgetStatus,
    projection,
    reports,
    webhook,
    prices: new ModelPricesService(db, clock),
    reconciliation: new ReconciliationService(db, reports, reader),
    alerts: new CostAlertsService(db, budgets, calendar, reader, webhook, clock, config),
    gate: new BudgetGate(budgets, budgetStatus, clock, config),
  };
}

export type CostServices = ReturnType<typeof costServices>;

/** Every table cost analytics writes, emptied between tests of one file. */
export async function clearCostTables(db: DataSource): Promise<void> {
  const rollups = [...Object.values(ROLLUP_TABLES), ...Object.values(TOTALS_TABLES)];
  await db.query(`TRUNCATE usage_ledger, provider_calls, ${rollups.join(', ')}, cost_alerts, cost_budgets, model_prices`);
}

/** text-embedding-3-small: $0.02 per 1M tokens, so 50,000 tokens cost exactly $0.001. */
export const SMALL_MODEL_ID = 1;
/** text-embedding-3-large: $0.13 per 1M tokens. */
export const LARGE_MODEL_ID = 2;

/** Records one provider call at `at` through the real write path. */
export async function recordUsage(
  ledger: UsageLedgerService,
  at: string | Date,
  items: Array<{ tokens: number; category?: string; purpose?: UsagePurpose }>,
  options: { modelId?: number; reportedTokens?: number } = {},
): Promise<string> {
  const callId = randomUUID();
  await ledger.recordCall({
    callId,
    modelId: options.modelId ?? SMALL_MODEL_ID,
    durationMs: 12,
    occurredAt: new Date(at),
    reportedTokens: options.reportedTokens,
    items: items.map((item) => ({ tokens: item.tokens, category: item.category, purpose: item.purpose ?? 'ingest' })),
  });
  return callId;
}
