import type { CostAlertDto } from '../dto/alert.dto';
import { formatUsd } from '../money';

/** The columns every alert query selects (from cost_alerts a joined to cost_budgets b). */
export const ALERT_COLUMNS = `a.id, a.budget_id, b.name AS budget_name, b.period, a.period_start::text AS period_start,
  a.period_starts_at, a.period_ends_at, a.threshold_percent, a.level, a.spent_usd::text AS spent_usd,
  a.limit_usd::text AS limit_usd, a.fired_at, a.webhook_status, a.webhook_attempts, a.webhook_next_attempt_at,
  a.webhook_last_error, a.webhook_delivered_at`;

export interface CostAlertRow {
  id: string;
  budget_id: string;
  budget_name: string;
  period: string;
  period_start: string;
  period_starts_at: Date;
  period_ends_at: Date;
  threshold_percent: number;
  level: CostAlertDto['level'];
  spent_usd: string;
  limit_usd: string;
  fired_at: Date;
  webhook_status: CostAlertDto['webhook']['status'];
  webhook_attempts: number;
  webhook_next_attempt_at: Date | null;
  webhook_last_error: string | null;
  webhook_delivered_at: Date | null;
}

export function toCostAlertDto(row: CostAlertRow): CostAlertDto {
  return {
    id: row.id,
    budgetId: row.budget_id,
    budgetName: row.budget_name,
    period: row.period,
    periodStart: row.period_start,
    periodStartsAt: row.period_starts_at,
    periodEndsAt: row.period_ends_at,
    thresholdPercent: row.threshold_percent,
    level: row.level,
    spentUsd: formatUsd(row.spent_usd),
    limitUsd: formatUsd(row.limit_usd),
    firedAt: row.fired_at,
    webhook: {
      status: row.webhook_status,
      attempts: row.webhook_attempts,
      nextAttemptAt: row.webhook_next_attempt_at,
      lastError: row.webhook_last_error,
      deliveredAt: row.webhook_delivered_at,
    },
  };
}
