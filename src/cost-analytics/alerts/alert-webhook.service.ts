import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { retryDelayMs } from '../../common/jobs/backoff';
import { ALERT_COLUMNS, type CostAlertRow, toCostAlertDto } from './cost-alert-row';
import { webhookPayload } from './webhook-payload';

/** Deliveries claimed per pass. */
const CLAIM_BATCH = 20;

/** A claimed alert with what the payload says about its budget. */
type ClaimedAlert = CostAlertRow & { time_zone: string; category: string | null; model: string | null };

/**
 * POSTs pending alerts to the configured webhook, from any process: a pass claims due
 * rows (FOR UPDATE SKIP LOCKED, then pushes their next attempt past the request timeout),
 * so one attempt belongs to one process, and a process that dies mid-attempt leaves the
 * row due again. A failure is retried with exponential backoff and jitter up to the
 * maximum attempts, then marked failed; the alert row itself is never lost with it.
 */
@Injectable()
export class AlertWebhook implements OnModuleDestroy {
  private readonly logger = new Logger(AlertWebhook.name);
  private readonly settings: AppConfig['costAnalytics']['webhook'];
  private pass?: Promise<void>;
  private again = false;
  private timer?: NodeJS.Timeout;
  private closed = false;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.settings = config.costAnalytics.webhook;
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.pass;
  }

  /** Starts a delivery pass now without waiting for it (one at a time per process; a request during a pass runs another after it). */
  deliverSoon(): void {
    void this.deliverDue();
  }

  /** Delivers every due alert; resolves when the pass (and any pass requested meanwhile) is done. */
  async deliverDue(): Promise<void> {
    if (!this.settings.url || this.closed) return;
    if (this.pass) {
      this.again = true;
      return this.pass;
    }
    this.pass = this.runPasses().finally(() => {
      this.pass = undefined;
    });
    return this.pass;
  }

  private async runPasses(): Promise<void> {
    try {
      do {
        this.again = false;
        let claimed: ClaimedAlert[];
        do {
          claimed = await this.claim();
          await Promise.all(claimed.map((row) => this.attempt(row)));
        } while (claimed.length === CLAIM_BATCH && !this.closed);
      } while (this.again && !this.closed);
      await this.scheduleNextRetry();
    } catch (error) {
      this.logger.warn({ err: error }, 'alert webhook pass failed; the next scheduler tick retries');
    }
  }

  private claim(): Promise<ClaimedAlert[]> {
    const claimMs = 2 * this.settings.timeoutMs + 1_000;
    return this.db.query(
      `WITH due AS (
         SELECT id FROM cost_alerts
         WHERE webhook_status = 'pending' AND webhook_next_attempt_at <= now()
         ORDER BY webhook_next_attempt_at LIMIT ${CLAIM_BATCH} FOR UPDATE SKIP LOCKED),
       claimed AS (
         UPDATE cost_alerts a SET webhook_next_attempt_at = now() + $1 * interval '1 millisecond'
         FROM due WHERE a.id = due.id RETURNING a.*)
       SELECT ${ALERT_COLUMNS}, b.time_zone, b.category, m.name AS model
       FROM claimed a JOIN cost_budgets b ON b.id = a.budget_id LEFT JOIN embedding_models m ON m.id = b.model_id`,
      [claimMs],
    );
  }

  private async attempt(row: ClaimedAlert): Promise<void> {
    const attempt = row.webhook_attempts + 1;
    let failure: string | null = null;
    try {
      const alert = toCostAlertDto(row);
      const response = await fetch(this.settings.url!, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'embedding-service/cost-alerts', 'x-cost-alert-id': alert.id },
        body: JSON.stringify(webhookPayload(alert, { timeZone: row.time_zone, category: row.category, model: row.model })),
        signal: AbortSignal.timeout(this.settings.timeoutMs),
      });
      await response.arrayBuffer().catch(() => undefined);
      if (!response.ok) failure = `webhook answered ${response.status}`;
    } catch (error) {
      failure = `webhook unreachable: ${error instanceof Error ? error.message : String(error)}`;
    }
    if (failure === null) {
      await this.db.query(
        `UPDATE cost_alerts SET webhook_status = 'delivered', webhook_attempts = $2, webhook_delivered_at = now(),
           webhook_next_attempt_at = NULL WHERE id = $1`,
        [row.id, attempt],
      );
      return;
    }
    const giveUp = attempt >= this.settings.maxAttempts;
    const delayMs = retryDelayMs(attempt, { baseMs: this.settings.backoffBaseMs, capMs: this.settings.backoffCapMs });
    await this.db.query(
      `UPDATE cost_alerts SET webhook_attempts = $2, webhook_last_error = $3,
         webhook_status = CASE WHEN $4 THEN 'failed' ELSE 'pending' END,
         webhook_next_attempt_at = CASE WHEN $4 THEN NULL ELSE now() + $5 * interval '1 millisecond' END
       WHERE id = $1`,
      [row.id, attempt, failure, giveUp, delayMs],
    );
    if (giveUp) this.logger.error({ alertId: row.id, attempts: attempt, error: failure }, 'cost alert webhook given up; the alert stays recorded');
    else this.logger.warn({ alertId: row.id, attempt, retryInMs: delayMs, error: failure }, 'cost alert webhook failed; will retry');
  }

  /** Wakes this process when the earliest pending retry falls due (scheduler ticks also pick retries up). */
  private async scheduleNextRetry(): Promise<void> {
    if (this.closed) return;
    const [{ due }] = await this.db.query(
      `SELECT extract(epoch FROM min(webhook_next_attempt_at) - now()) * 1000 AS due FROM cost_alerts WHERE webhook_status = 'pending'`,
    );
    if (due === null) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.deliverSoon(), Math.min(this.settings.backoffCapMs, Math.max(10, Number(due))));
    this.timer.unref();
  }
}
