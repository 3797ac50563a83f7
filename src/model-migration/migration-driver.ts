import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, hasRole } from '../config/app-config';
import { ClusterLease } from '../redis/cluster-lease';
import { MigrationBackfill } from './migration-backfill';
import { MigrationPacing } from './migration-pacing';
import { MigrationRecords } from './migration-records';
import type { ModelMigrationEntity } from './model-migration.entity';
import { ATTR } from '../tracing/semconv';
import { inSpan, type SpanStart } from '../tracing/spans';

/** A step holding its lease longer than this is presumed dead, and another scheduler takes over. */
const STEP_LEASE_MS = 30_000;

/** Each step is a trace of its own; the jobs it feeds to the queue continue it. */
function stepSpan(migration: ModelMigrationEntity): SpanStart {
  return {
    root: true,
    attributes: { [ATTR.migrationId]: migration.id, [ATTR.migrationState]: migration.state, [ATTR.migrationLane]: migration.lane },
  };
}

/**
 * Runs migrations in the background, in scheduler processes: every MIGRATION_TICK_MS, one
 * step of each migration that has work, under a per-migration lease so only one process
 * steps a migration at a time. State lives in Postgres, so a restarted or different
 * scheduler carries on where the last step left off.
 */
@Injectable()
export class MigrationDriver implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(MigrationDriver.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly records: MigrationRecords,
    private readonly backfill: MigrationBackfill,
    private readonly pacing: MigrationPacing,
    private readonly lease: ClusterLease,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (!hasRole(this.config, 'scheduler')) return;
    this.timer = setInterval(() => this.tick(), this.config.migration.tickMs);
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private tick(): void {
    if (this.running) return;
    this.running = this.stepAll()
      .catch((error: unknown) => this.logger.warn({ err: error }, 'migration tick failed; the next one retries'))
      .finally(() => (this.running = undefined));
  }

  private async stepAll(): Promise<void> {
    const migrations = await this.records.needingWork();
    // Quiet stretches make the idle search baseline pacing budgets against.
    await this.pacing
      .noteActivity(migrations.length > 0)
      .catch((error: unknown) => this.logger.debug({ err: error }, 'pacing could not note activity'));
    for (const migration of migrations) {
      try {
        await this.lease.runExclusive(`migration:${migration.id}`, STEP_LEASE_MS, () =>
          inSpan('migration step', stepSpan(migration), () => this.backfill.step(migration.id)),
        );
      } catch (error) {
        this.logger.warn({ err: error, migrationId: migration.id }, 'migration step failed; the next tick retries');
      }
    }
  }
}
