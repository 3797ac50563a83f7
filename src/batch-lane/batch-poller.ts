import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, hasRole } from '../config/app-config';
import { BatchLane } from './batch-lane.service';
import { EmbeddingModelsService } from '../embeddings/embedding-models.service';
import { EmbeddingProviders } from '../embeddings/providers/embedding-providers';
import type { OpenAIBatches, ProviderBatch } from '../embeddings/providers/openai-batches';
import { ClusterLease } from '../redis/cluster-lease';
import { inSpan, scheduledSpan } from '../tracing/spans';
import { BatchBackfills } from './batch-backfills';
import { BatchImporter } from './batch-importer';
import { type EmbeddingBatch, EmbeddingBatches } from './embedding-batches';

/** A batch still `building` after this long lost its process between our record and the provider's answer. */
const ORPHAN_AFTER_MS = 60_000;
/** Longer than the import of a full batch (50,000 vectors at a few hundred per second). */
const BATCH_LEASE_MS = 15 * 60_000;
const ENDED: ReadonlySet<string> = new Set(['completed', 'expired', 'cancelled']);

/**
 * Follows every open batch, once per cluster per BATCH_LANE_POLL_MS (a scheduler's lease):
 * reads it at the provider, passes on a requested cancel, imports it once it has ended, and
 * settles one that failed validation (nothing billed; its pairs stay pending). A batch whose
 * creation we never got to record is found again by its metadata, so a restart in the middle
 * of a submission neither loses nor doubles a batch. State lives in PostgreSQL: a restarted
 * service carries on where it stopped.
 */
@Injectable()
export class BatchPoller implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(BatchPoller.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly batches: EmbeddingBatches,
    private readonly importer: BatchImporter,
    private readonly backfills: BatchBackfills,
    private readonly models: EmbeddingModelsService,
    private readonly providers: EmbeddingProviders,
    private readonly lane: BatchLane,
    private readonly lease: ClusterLease,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (!hasRole(this.config, 'scheduler')) return;
    this.timer = setInterval(() => this.tick(), this.config.batchLane.pollMs);
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private tick(): void {
    if (this.running) return;
    this.running = this.lease
      .claimPeriod('batch-lane:poll', this.config.batchLane.pollMs)
      .then((claimed) =>
        claimed
          ? inSpan('batch-lane poll', scheduledSpan('batch-lane:poll'), async () => {
              await this.pollAll();
              await this.backfills.stepAll();
            })
          : undefined,
      )
      .catch((error: unknown) => this.logger.warn({ err: error }, 'batch poll failed; the next one retries'))
      .finally(() => (this.running = undefined));
  }

  /** One pass over the open batches; each batch's failure is its own. */
  async pollAll(): Promise<void> {
    for (const batch of await this.batches.open()) {
      try {
        // One process per batch at a time, should two pollers overlap (a period lease outlived by a long import).
        await this.lease.runExclusive(`batch-lane:batch:${batch.id}`, BATCH_LEASE_MS, () => this.poll(batch));
      } catch (error) {
        this.logger.warn({ err: error, batchId: batch.id }, 'could not follow a batch; the next poll retries');
      }
    }
  }

  private async poll(batch: EmbeddingBatch): Promise<void> {
    const model = await this.models.getById(batch.modelId);
    const api = this.providers.batchesFor(model);
    if (!batch.providerBatchId) return this.recoverOrphan(batch, api);
    let current = await api.retrieve(batch.providerBatchId);
    if (batch.cancelRequested && ['validating', 'in_progress', 'finalizing'].includes(current.status)) current = await api.cancel(current.id);
    await this.batches.polled(batch.id, current);
    if (current.status === 'failed') {
      await this.lane.giveUp(batch, `batch failed: ${current.errors.join('; ')}`);
      this.logger.warn({ batchId: batch.id, errors: current.errors }, 'batch failed validation; its pairs stay pending');
      return;
    }
    if (ENDED.has(current.status)) {
      await this.importer.import({ ...batch, ...ended(current) }, model, api);
    }
  }

  private async recoverOrphan(batch: EmbeddingBatch, api: OpenAIBatches): Promise<void> {
    if (Date.now() - batch.createdAt.getTime() < ORPHAN_AFTER_MS) return;
    const found = (await api.recent()).find((candidate) => candidate.metadata.embedding_batch_id === batch.id);
    if (found) {
      await this.batches.submitted(batch.id, found, null);
      this.logger.log({ batchId: batch.id, providerBatchId: found.id }, 'adopted a batch whose submission was not recorded');
      return;
    }
    await this.lane.giveUp(batch, 'never submitted: the process stopped while building it');
  }
}

function ended(current: ProviderBatch): Pick<EmbeddingBatch, 'state' | 'outputFileId' | 'errorFileId'> {
  return { state: current.status, outputFileId: current.outputFileId, errorFileId: current.errorFileId };
}
