import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, hasRole } from '../../config/app-config';
import { ClusterLease } from '../../redis/cluster-lease';
import { DriftService } from './drift.service';

/** The first check waits this long after start (the lease keeps restarts from repeating it within a period). */
const FIRST_CHECK_DELAY_MS = 5_000;

/**
 * The scheduled drift canary (DRIFT_CANARY_ENABLED): in scheduler processes, once per
 * cluster per DRIFT_CANARY_INTERVAL_MS, runs a drift check of the active model and logs a
 * warning when it drifted. Each check is stored like one started from the API.
 */
@Injectable()
export class DriftCanary implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(DriftCanary.name);
  private timer?: NodeJS.Timeout;
  private firstCheck?: NodeJS.Timeout;
  private running?: Promise<void>;
  private readonly stop = new AbortController();

  constructor(
    private readonly drift: DriftService,
    private readonly lease: ClusterLease,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    const { enabled, intervalMs } = this.config.compare.drift.canary;
    if (!enabled || !hasRole(this.config, 'scheduler')) return;
    this.timer = setInterval(() => this.tick(), intervalMs);
    this.firstCheck = setTimeout(() => this.tick(), Math.min(FIRST_CHECK_DELAY_MS, intervalMs));
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    clearTimeout(this.firstCheck);
    this.stop.abort(new Error('the process is shutting down'));
    await this.running;
  }

  private tick(): void {
    if (this.running) return;
    this.running = this.checkOnce().finally(() => {
      this.running = undefined;
    });
  }

  private async checkOnce(): Promise<void> {
    const { intervalMs, sampleSize } = this.config.compare.drift.canary;
    try {
      if (!(await this.lease.claimPeriod('drift-canary', intervalMs))) return;
      const report = await this.drift.detectEmbeddingDrift({ sampleSize }, 'canary', this.stop.signal);
      const facts = {
        id: report.id,
        model: report.model,
        sampleSize: report.sampleSize,
        minSimilarity: report.minSimilarity,
        p5Similarity: report.p5Similarity,
        belowTolerance: report.belowTolerance,
        tolerance: report.tolerance,
      };
      if (report.verdict === 'drifted') {
        this.logger.warn(
          facts,
          `embedding drift: ${report.belowTolerance} of ${report.sampleSize} unchanged pairs re-embedded below ${report.tolerance}; the provider may have changed ${report.model}`,
        );
      } else {
        this.logger.log(facts, `drift canary: ${report.verdict}`);
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'drift canary check failed; the next period will try again');
    }
  }
}
