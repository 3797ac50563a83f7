import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { APP_CONFIG, type AppConfig, hasRole } from '../../config/app-config';
import { ClusterLease } from '../../redis/cluster-lease';
import { inSpan, scheduledSpan } from '../../tracing/spans';
import { AlertWebhook } from './alert-webhook.service';
import { CostAlertsService } from './cost-alerts.service';

const INTERVAL_NAME = 'cost-alerts';

/**
 * In scheduler processes: every COST_ALERT_CHECK_INTERVAL_MS, one process of the cluster
 * (a Redis lease per period) runs checkCostAlerts; the unique alert key covers the case
 * where the lease is lost (Redis wiped) and two check at once. Every scheduler also runs a
 * webhook delivery pass, so retries survive the process that fired the alert.
 */
@Injectable()
export class CostAlertScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(CostAlertScheduler.name);
  private running?: Promise<unknown>;

  constructor(
    private readonly alerts: CostAlertsService,
    private readonly webhook: AlertWebhook,
    private readonly lease: ClusterLease,
    private readonly registry: SchedulerRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (!hasRole(this.config, 'scheduler')) return;
    const interval = this.config.costAnalytics.alertCheckIntervalMs;
    this.registry.addInterval(
      INTERVAL_NAME,
      setInterval(() => void this.tick(), interval),
    );
  }

  async onModuleDestroy(): Promise<void> {
    if (this.registry.doesExist('interval', INTERVAL_NAME)) this.registry.deleteInterval(INTERVAL_NAME);
    await this.running;
  }

  private async tick(): Promise<void> {
    if (this.running) return;
    this.running = this.checkOnceInCluster();
    await this.running;
    this.running = undefined;
  }

  private async checkOnceInCluster(): Promise<void> {
    try {
      if (await this.lease.claimPeriod(INTERVAL_NAME, this.config.costAnalytics.alertCheckIntervalMs)) {
        await inSpan('cost-alerts check', scheduledSpan(INTERVAL_NAME), () => this.alerts.checkCostAlerts());
      }
      await this.webhook.deliverDue();
    } catch (error) {
      this.logger.warn({ err: error }, 'cost alert check failed; the next tick retries');
    }
  }
}
