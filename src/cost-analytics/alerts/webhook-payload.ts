import type { CostAlertDto } from '../dto/alert.dto';

/**
 * What the webhook receives. `x-cost-alert-id` repeats `alert.id`: a delivery whose answer
 * was lost is sent again, so receivers should treat the id as an idempotency key.
 * `text` suits chat webhooks (Slack, Mattermost) that show a message as is.
 */
export function webhookPayload(alert: CostAlertDto, budget: { timeZone: string; category: string | null; model: string | null }) {
  const scope = [budget.category && `category ${budget.category}`, budget.model && `model ${budget.model}`].filter(Boolean).join(', ');
  return {
    type: 'cost_alert',
    text:
      `Embedding cost alert: budget "${alert.budgetName}"${scope ? ` (${scope})` : ''} reached ${alert.thresholdPercent}% ` +
      `of its ${alert.period} limit: ${alert.spentUsd} of ${alert.limitUsd} USD for the period from ${alert.periodStart} (${budget.timeZone}).`,
    alert: {
      id: alert.id,
      level: alert.level,
      thresholdPercent: alert.thresholdPercent,
      spentUsd: alert.spentUsd,
      limitUsd: alert.limitUsd,
      firedAt: alert.firedAt,
      period: { kind: alert.period, start: alert.periodStart, startsAt: alert.periodStartsAt, endsAt: alert.periodEndsAt, timeZone: budget.timeZone },
      budget: { id: alert.budgetId, name: alert.budgetName, category: budget.category, model: budget.model },
    },
  };
}

export type CostAlertWebhookPayload = ReturnType<typeof webhookPayload>;
