import { Injectable, Logger } from '@nestjs/common';
import type { Job } from 'bull';
import { EmbeddingCoverage } from '../embeddings/embedding-coverage';
import type { EmbeddingModelEntity } from '../embeddings/embedding-model.entity';
import { type EmbeddingJobData, PRIORITY, qaPairIdOfJobId, workJobIds } from '../queue/embedding-job';
import { EmbeddingQueue } from '../queue/embedding-queue.service';
import { MigrationWindow } from './migration-window';

const LOOKUP_CHUNK = 100;

/**
 * A migration's jobs in the embeddings queue: enqueued at migration priority (live work goes
 * first), tracked in the window until Postgres shows their pair done, withdrawn on pause,
 * cancel or failure. The window holds base job ids; work postponed by a hard-capped budget
 * waits under its postponed id (`workJobIds`), and is looked up, kept and withdrawn too.
 */
@Injectable()
export class MigrationJobs {
  private readonly logger = new Logger(MigrationJobs.name);

  constructor(
    private readonly queue: EmbeddingQueue,
    private readonly coverage: EmbeddingCoverage,
    private readonly window: MigrationWindow,
  ) {}

  /** Enqueues the pairs and records them in the window; false if Redis did not take them all. */
  async enqueue(migrationId: string, to: EmbeddingModelEntity, pairs: Array<{ id: string; contentHash: string }>): Promise<boolean> {
    const result = await this.queue.enqueueMany(
      pairs.map((pair) => ({
        qaPairId: pair.id,
        model: to.name,
        contentHash: pair.contentHash,
        purpose: 'migration' as const,
        priority: PRIORITY.migration,
      })),
    );
    await this.window.add(migrationId, result.jobIds);
    return result.failed === 0;
  }

  /** Drops the window's jobs whose pair is done (embedded, dead-lettered or deleted); returns the rest. */
  async settle(migrationId: string, to: EmbeddingModelEntity): Promise<string[]> {
    const jobIds = await this.window.jobIds(migrationId);
    if (jobIds.length === 0) return [];
    const settled = await this.coverage.settledPairs(to.id, jobIds.map(qaPairIdOfJobId));
    const done = jobIds.filter((jobId) => settled.has(qaPairIdOfJobId(jobId)));
    await this.window.remove(migrationId, done);
    const doneSet = new Set(done);
    return jobIds.filter((jobId) => !doneSet.has(jobId));
  }

  /**
   * Drops window entries whose job Bull no longer has (removed by an edit's supersession, or
   * lost): their pairs, if still pending, are found by the next pass. Returns what is left.
   */
  async dropLost(migrationId: string, jobIds: string[]): Promise<string[]> {
    const lost: string[] = [];
    await this.forEachJob(jobIds, (id, jobs) => {
      if (jobs.length === 0) lost.push(id);
    });
    await this.window.remove(migrationId, lost);
    const lostSet = new Set(lost);
    return jobIds.filter((id) => !lostSet.has(id));
  }

  /**
   * Removes the window's jobs that no worker has taken yet, so a paused or stopped migration
   * stops spending within a batch. Jobs already running finish; they stay in the window.
   */
  async withdraw(migrationId: string): Promise<number> {
    const jobIds = await this.window.jobIds(migrationId);
    const removed: string[] = [];
    await this.forEachJob(jobIds, async (id, jobs) => {
      // Bull refuses to remove a job a worker holds the lock of: that one runs to its end.
      const results = await Promise.all(
        jobs.map((job) =>
          job.remove().then(
            () => true,
            () => false,
          ),
        ),
      );
      if (results.every(Boolean)) removed.push(id);
    });
    await this.window.remove(migrationId, removed);
    if (removed.length > 0) this.logger.log({ migrationId, removed: removed.length }, 'withdrew queued migration jobs');
    return removed.length;
  }

  async forget(migrationId: string): Promise<void> {
    await this.window.clear(migrationId);
  }

  /** Looks the work up in Bull, LOOKUP_CHUNK ids at a time, and hands each id the jobs holding it (none if Bull has none). */
  private async forEachJob(jobIds: string[], visit: (id: string, jobs: Job<EmbeddingJobData>[]) => unknown): Promise<void> {
    for (let i = 0; i < jobIds.length; i += LOOKUP_CHUNK) {
      const chunk = jobIds.slice(i, i + LOOKUP_CHUNK);
      await Promise.all(
        chunk.map(async (id) => {
          const jobs = await Promise.all(workJobIds(id).map((jobId) => this.queue.getJob(jobId)));
          await visit(
            id,
            jobs.filter((job): job is Job<EmbeddingJobData> => job !== null),
          );
        }),
      );
    }
  }
}
