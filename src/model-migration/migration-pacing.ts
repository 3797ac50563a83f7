import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { Gauge, Registry } from 'prom-client';
import { withTimeout } from '../common/with-timeout';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { EmbeddingQueue } from '../queue/embedding-queue.service';
import { REDIS } from '../redis/redis.tokens';
import { MIN_LATENCY_SAMPLES, type SearchP99, SearchLatency } from '../search/search-latency';
import { MigrationRecords } from './migration-records';
import type { ModelMigrationEntity } from './model-migration.entity';

/** As long as the window's own key: outlives a pause. */
const STATE_TTL_MS = 7 * 24 * 3600 * 1000;
/** A GET of a migration does not wait longer than this for its pacing (Redis down: no pacing shown). */
const READ_TIMEOUT_MS = 500;

type PacingSettings = AppConfig['migration']['pacing'];

/** Where a migration's window stands, as its last step left it (`pacing` on the migration, and the gauges). */
export interface PacingState {
  enabled: boolean;
  /** Pairs the last step let the window hold: batches × batch size, at least one. */
  windowSize: number;
  /** batch size × MIGRATION_WINDOW_BATCHES: what the window grows back to. */
  maxWindowSize: number;
  /** Cluster-wide search p99 over MIGRATION_PACING_WINDOW_MS, and the searches it is of. */
  searchP99Ms: number | null;
  searchSamples: number;
  /** The p99 the step paced against; null: no budget applies (none set, or the ratio's idle baseline unknown). */
  budgetMs: number | null;
  idleSearchP99Ms: number | null;
  measuredAt: string;
}

/** The lower of the absolute budget and ratio × idle p99; null when neither applies. */
export function pacingBudgetMs(settings: Pick<PacingSettings, 'searchP99Ms' | 'searchP99Ratio'>, idleP99Ms: number | null): number | null {
  const budgets = [settings.searchP99Ms, settings.searchP99Ratio && idleP99Ms ? settings.searchP99Ratio * idleP99Ms : undefined];
  const set = budgets.filter((budget): budget is number => budget !== undefined && budget > 0);
  return set.length > 0 ? Math.min(...set) : null;
}

/**
 * The smallest window, in batches. One batch per tick still cost search about 2× its budget
 * (a burst of a whole batch's HNSW inserts every tick), so the window goes below it.
 */
export const MIN_WINDOW_BATCHES = 1 / 16;

/**
 * AIMD over the window, in batches: above the budget it halves (down to MIN_WINDOW_BATCHES,
 * never zero), at or below it grows to the next whole batch toward the maximum. Without a
 * budget, or without enough searches to tell (MIN_LATENCY_SAMPLES), it grows: nothing says
 * search is suffering.
 */
export function nextWindowBatches(current: number, maxBatches: number, measured: SearchP99, budgetMs: number | null): number {
  const batches = Math.min(Math.max(MIN_WINDOW_BATCHES, Number.isFinite(current) ? current : maxBatches), maxBatches);
  const over = budgetMs !== null && measured.p99Ms !== null && measured.samples >= MIN_LATENCY_SAMPLES && measured.p99Ms > budgetMs;
  return over ? Math.max(MIN_WINDOW_BATCHES, batches / 2) : Math.min(maxBatches, Math.floor(batches) + 1);
}

/** The window in pairs for a number of batches: at least one pair. */
export function windowPairs(batches: number, batchSize: number): number {
  return Math.max(1, Math.round(batches * batchSize));
}

/**
 * Pacing: a migration's window shrinks while search is slower than its budget and grows
 * back when it is not. The window (in batches) lives in Redis under
 * `<prefix>:migration:<id>:pacing`, so whichever scheduler takes the next step continues
 * from it. The scheduler also tells when the cluster is idle (no migration running, no
 * backlog in the queue for a whole measuring window), which feeds the idle baseline.
 */
@Injectable()
export class MigrationPacing {
  private readonly prefix: string;
  private lastBusyAt = Date.now();

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly latency: SearchLatency,
    private readonly queue: EmbeddingQueue,
    records: MigrationRecords,
    registry: Registry,
  ) {
    this.prefix = `${config.redis.prefix}:migration:`;
    this.registerGauges(registry, records);
  }

  /** The window for this step, in pairs; records where it stands. */
  async windowSize(migration: ModelMigrationEntity): Promise<number> {
    const settings = this.config.migration.pacing;
    const maxBatches = this.config.migration.windowBatches;
    const [stored, measured, idle] = await Promise.all([
      this.redis.hget(this.key(migration.id), 'batches'),
      this.latency.clusterP99(settings.windowMs),
      this.latency.idleP99(),
    ]);
    const budgetMs = pacingBudgetMs(settings, idle);
    const batches = settings.enabled ? nextWindowBatches(Number(stored) || maxBatches, maxBatches, measured, budgetMs) : maxBatches;
    const state: PacingState = {
      enabled: settings.enabled,
      windowSize: windowPairs(batches, migration.batchSize),
      maxWindowSize: maxBatches * migration.batchSize,
      searchP99Ms: measured.p99Ms === null ? null : Math.round(measured.p99Ms * 100) / 100,
      searchSamples: measured.samples,
      budgetMs: budgetMs === null ? null : Math.round(budgetMs * 100) / 100,
      idleSearchP99Ms: idle,
      measuredAt: new Date().toISOString(),
    };
    const key = this.key(migration.id);
    await this.redis
      .multi()
      .hset(key, { batches, state: JSON.stringify(state) })
      .pexpire(key, STATE_TTL_MS)
      .exec();
    return state.windowSize;
  }

  /** Each migration's pacing as its last step left it (absent: not stepped yet, or Redis unreachable). */
  async states(ids: string[]): Promise<Map<string, PacingState>> {
    const states = new Map<string, PacingState>();
    if (ids.length === 0) return states;
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hget(this.key(id), 'state');
    const results = await withTimeout(pipeline.exec(), READ_TIMEOUT_MS, 'pacing read').catch(() => null);
    results?.forEach(([error, value], i) => {
      if (!error && typeof value === 'string') states.set(ids[i], JSON.parse(value) as PacingState);
    });
    return states;
  }

  /**
   * Called by the scheduler every tick with whether a migration has background work. Once
   * nothing has (no migration, no queue backlog) for a whole measuring window, that window's
   * search p99 is folded into the idle baseline.
   */
  async noteActivity(migrationsWorking: boolean): Promise<void> {
    const counts = await this.queue.bull.getJobCounts();
    const backlog = counts.waiting + counts.active + counts.delayed > this.config.queue.batchMaxInputs;
    const now = Date.now();
    if (migrationsWorking || backlog) this.lastBusyAt = now;
    else if (now - this.lastBusyAt >= this.config.migration.pacing.windowMs) await this.latency.foldIdle(this.config.migration.pacing.windowMs);
  }

  private key(migrationId: string): string {
    return `${this.prefix}${migrationId}:pacing`;
  }

  /** Read at scrape time from Redis, so any process (the API's, which steps nothing) reports the running migrations. */
  private registerGauges(registry: Registry, records: MigrationRecords): void {
    let inFlight: Promise<Map<string, PacingState>> | undefined;
    const running = (): Promise<Map<string, PacingState>> =>
      (inFlight ??= records
        .needingWork()
        .then((migrations) => this.states(migrations.filter((m) => m.state === 'running').map((m) => m.id)))
        .catch(() => new Map<string, PacingState>())
        .finally(() => (inFlight = undefined)));
    const gauges: Array<[string, string, (state: PacingState) => number | null]> = [
      [
        'embsvc_migration_window_size',
        "A running migration's window at its last step, in pairs (pacing shrinks it while search is over budget)",
        (s) => s.windowSize,
      ],
      ['embsvc_migration_window_max_size', 'batch size × MIGRATION_WINDOW_BATCHES: what the window grows back to', (s) => s.maxWindowSize],
      [
        'embsvc_migration_pacing_search_p99_ms',
        'Cluster-wide search p99 over MIGRATION_PACING_WINDOW_MS, as the last step saw it',
        (s) => s.searchP99Ms,
      ],
      ['embsvc_migration_pacing_budget_ms', 'The search p99 budget the last step paced against', (s) => s.budgetMs],
    ];
    for (const [name, help, value] of gauges) {
      new Gauge({
        name,
        help,
        labelNames: ['migration'],
        registers: [registry],
        async collect() {
          const states = await running();
          this.reset();
          for (const [migration, state] of states) {
            const figure = value(state);
            if (figure !== null) this.set({ migration }, figure);
          }
        },
      });
    }
  }
}
