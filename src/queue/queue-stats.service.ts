import { Injectable } from '@nestjs/common';
import { DeadLetterStore } from '../embeddings/dead-letter-store';
import { EmbeddingModelsService } from '../embeddings/embedding-models.service';
import { EmbeddingStore } from '../embeddings/embedding-store';
import type { BullJobCounts } from '../common/jobs/bull-options';
import type { JobStatusDto, QueueStatsDto } from './dto/queue-status.dto';
import { parseEmbeddingJobId, workJobIds } from './embedding-job';
import { EmbeddingQueue } from './embedding-queue.service';
import { ThroughputCounter } from './throughput-counter';

/** How long the Postgres side of the stats (coverage joins, dead-letter count) is reused. */
export const STATS_DB_TTL_MS = 5_000;

interface DbStats {
  at: number;
  deadLetters: number;
  models: Array<{ model: string; active: boolean; total: number; embedded: number }>;
}

/**
 * Queue counts, throughput across every worker and per-model coverage; job status by id.
 * The coverage is a join over every embedding per model: the dashboard polls this, so
 * the Postgres part is computed at most once per STATS_DB_TTL_MS per process (callers in
 * between, concurrent ones included, share it) while the Redis counts stay live. A cache
 * rather than maintained counters: it is exact when computed, adds nothing to the write
 * path, and a dashboard does not need fresher than a few seconds.
 */
@Injectable()
export class QueueStatsService {
  private dbStats?: DbStats;
  private refreshing?: Promise<DbStats>;

  constructor(
    private readonly queue: EmbeddingQueue,
    private readonly models: EmbeddingModelsService,
    private readonly store: EmbeddingStore,
    private readonly deadLetters: DeadLetterStore,
    private readonly throughput: ThroughputCounter,
  ) {}

  async stats(): Promise<QueueStatsDto> {
    const [counts, rate, db] = await Promise.all([this.queue.bull.getJobCounts(), this.throughput.read(), this.cachedDbStats()]);
    const c: BullJobCounts = counts;
    return {
      jobs: { waiting: c.waiting ?? 0, active: c.active ?? 0, delayed: c.delayed ?? 0, failed: c.failed ?? 0, paused: c.paused ?? 0 },
      deadLetters: db.deadLetters,
      embeddedLastMinute: rate.lastMinute,
      embeddedPerSecond5m: rate.perSecondFiveMinutes,
      models: db.models,
      coverageAsOf: new Date(db.at).toISOString(),
    };
  }

  private cachedDbStats(): Promise<DbStats> {
    if (this.dbStats && Date.now() - this.dbStats.at < STATS_DB_TTL_MS) return Promise.resolve(this.dbStats);
    this.refreshing ??= this.readDbStats()
      .then((stats) => (this.dbStats = stats))
      .finally(() => {
        this.refreshing = undefined;
      });
    return this.refreshing;
  }

  private async readDbStats(): Promise<DbStats> {
    const at = Date.now();
    const [deadLetters, models] = await Promise.all([this.deadLetters.countOpen(), this.models.modelsToKeepCurrent()]);
    const coverage = await Promise.all(models.map(async (model) => ({ model, ...(await this.store.coverage(model.id)) })));
    return {
      at,
      deadLetters,
      models: coverage.map(({ model, total, embedded }) => ({ model: model.name, active: model.isActive, total, embedded })),
    };
  }

  /**
   * A job's state while Bull has it (under its id, or postponed under the alternate one);
   * afterwards, what Postgres says became of its work.
   */
  async jobStatus(id: string): Promise<JobStatusDto> {
    const parsed = parseEmbeddingJobId(id);
    const [job] = (await Promise.all((parsed ? workJobIds(id) : [id]).map((jobId) => this.queue.getJob(jobId)))).filter((j) => j !== null);
    if (job) {
      return {
        id,
        state: await job.getState(),
        qaPairId: job.data.qaPairId,
        model: job.data.model,
        priority: job.data.priority,
        attempts: job.attemptsMade,
        maxAttempts: job.opts.attempts,
        failedReason: job.failedReason,
      };
    }
    if (!parsed) return { id, state: 'unknown' };
    const { qaPairId, model, hashPrefix } = parsed;
    const row = await this.store.recordedHashes(qaPairId, model);
    const state = !row
      ? 'unknown'
      : row.embedded?.startsWith(hashPrefix)
        ? 'completed'
        : row.deadLettered?.startsWith(hashPrefix)
          ? 'dead_lettered'
          : row.current.startsWith(hashPrefix)
            ? 'unknown'
            : 'superseded';
    return { id, state, qaPairId, model };
  }
}
