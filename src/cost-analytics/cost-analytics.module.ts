import { Module } from '@nestjs/common';
import { AlertWebhook } from './alerts/alert-webhook.service';
import { CostAlertScheduler } from './alerts/cost-alert-scheduler';
import { CostAlertsController } from './alerts/cost-alerts.controller';
import { CostAlertsService } from './alerts/cost-alerts.service';
import { BudgetGate } from './budgets/budget-gate.service';
import { BudgetStatusService } from './budgets/budget-status.service';
import { BudgetsController } from './budgets/budgets.controller';
import { BudgetsService } from './budgets/budgets.service';
import { CostClock } from './cost-clock';
import { ModelPricesController } from './prices/model-prices.controller';
import { ModelPricesService } from './prices/model-prices.service';
import { QueryCacheSavingsService } from './query-cache/query-cache-savings.service';
import { CostProjectionService } from './reports/cost-projection.service';
import { CostReportController } from './reports/cost-report.controller';
import { CostReportService } from './reports/cost-report.service';
import { LaneUsage } from './reports/lane-usage';
import { LocalCalendar } from './reports/local-calendar';
import { ReconciliationService } from './reports/reconciliation.service';
import { RollupReader } from './rollups/rollup-reader';
import { UsageLedgerService } from './usage-ledger.service';

/**
 * Usage ledger and rollups, cost reports and projection, price history, budgets with
 * scheduled alerts and the hard-cap gate, and what search's query cache saved (their charts: the console's Costs page, src/console). See README.md.
 */
@Module({
  controllers: [CostReportController, BudgetsController, CostAlertsController, ModelPricesController],
  providers: [
    UsageLedgerService,
    CostClock,
    LocalCalendar,
    RollupReader,
    CostReportService,
    LaneUsage,
    CostProjectionService,
    ReconciliationService,
    ModelPricesService,
    QueryCacheSavingsService,
    BudgetsService,
    BudgetStatusService,
    BudgetGate,
    CostAlertsService,
    AlertWebhook,
    CostAlertScheduler,
  ],
  exports: [UsageLedgerService, BudgetGate, QueryCacheSavingsService],
})
export class CostAnalyticsModule {}
