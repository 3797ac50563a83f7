import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { EmbeddingModelsService } from '../embeddings/embedding-models.service';
import { EmbeddingStore } from '../embeddings/embedding-store';
import type { JobStatusDto, QueueStatsDto } from './dto/queue-status.dto';
import { EmbeddingQueue } from './embedding-queue.service';
import { ThroughputCounter } from './throughput-counter';

/** Queue counts, throughput across every worker and per-model coverage; job status by id. */
@Injectable()
export class QueueStatsService {
  constructor(
    private readonly queue: EmbeddingQueue,
    private readonly models: EmbeddingModelsService,
    private readonly store: EmbeddingStore,
    private readonly throughput: ThroughputCounter,
    @InjectDataSource() private readonly db: DataSource,
  ) {}

  async stats(): Promise<QueueStatsDto> {
    const [counts, rate, [letters], models] = await Promise.all([
      this.queue.bull.getJobCounts(),
      this.throughput.read(),
      this.db.query(`SELECT count(*)::int AS n FROM dead_letters WHERE discarded_at IS NULL`) as Promise<Array<{ n: number }>>,
      this.models.modelsToKeepCurrent(),
    ]);
    const coverage = await Promise.all(models.map(async (model) => ({ model, ...(await this.store.coverage(model.id)) })));
    const c = counts as unknown as Record<string, number>;
    return {
      jobs: { waiting: c.waiting ?? 0, active: c.active ?? 0, delayed: c.delayed ?? 0, failed: c.failed ?? 0, paused: c.paused ?? 0 },
      deadLetters: letters.n,
      embeddedLastMinute: rate.lastMinute,
      embeddedPerSecond5m: rate.perSecondFiveMinutes,
      models: coverage.map(({ model, total, embedded }) => ({ model: model.name, active: model.isActive, total, embedded })),
    };
  }

  /** A job's state while Bull has it; afterwards, what Postgres says became of its work. */
  async jobStatus(id: string): Promise<JobStatusDto> {
    const job = await this.queue.getJob(id);
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
    const [qaPairId, model, hashPrefix] = id.split(':');
    if (!qaPairId || !model || !hashPrefix || !/^[0-9a-f-]{36}$/.test(qaPairId) || !/^[0-9a-f]{16}$/.test(hashPrefix)) {
      return { id, state: 'unknown' };
    }
    const rows: Array<{ current: string; embedded: string | null; dead: string | null }> = await this.db.query(
      `SELECT q.content_hash AS current, e.content_hash AS embedded, d.content_hash AS dead
       FROM qa_pairs q
       JOIN embedding_models m ON m.name = $2
       LEFT JOIN embeddings e ON e.qa_pair_id = q.id AND e.model_id = m.id
       LEFT JOIN dead_letters d ON d.qa_pair_id = q.id AND d.model_id = m.id
       WHERE q.id = $1`,
      [qaPairId, model],
    );
    const row = rows[0];
    const state = !row
      ? 'unknown'
      : row.embedded?.startsWith(hashPrefix)
        ? 'completed'
        : row.dead?.startsWith(hashPrefix)
          ? 'dead_lettered'
          : row.current.startsWith(hashPrefix)
            ? 'unknown'
            : 'superseded';
    return { id, state, qaPairId, model };
  }
}
