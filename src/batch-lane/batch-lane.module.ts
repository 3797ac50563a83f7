import { Module, type OnModuleInit } from '@nestjs/common';
import { CostAnalyticsModule } from '../cost-analytics/cost-analytics.module';
import { EmbeddingsModule } from '../embeddings/embeddings.module';
import { QueueModule } from '../queue/queue.module';
import { Reconciler } from '../queue/reconciler.service';
import { BatchBackfills } from './batch-backfills';
import { BatchBackfillsController } from './batch-backfills.controller';
import { BatchImporter } from './batch-importer';
import { BatchLane } from './batch-lane.service';
import { BatchPoller } from './batch-poller';
import { EmbeddingBatches } from './embedding-batches';

/** Bulk embedding through OpenAI's Batch API: half the price, its own rate limits, a 24 h window. */
@Module({
  imports: [EmbeddingsModule, CostAnalyticsModule, QueueModule],
  controllers: [BatchBackfillsController],
  providers: [EmbeddingBatches, BatchLane, BatchImporter, BatchPoller, BatchBackfills],
  exports: [BatchLane, BatchPoller, BatchBackfills],
})
export class BatchLaneModule implements OnModuleInit {
  constructor(
    private readonly reconciler: Reconciler,
    private readonly backfills: BatchBackfills,
  ) {}

  /** Pairs a bulk import put on the batch lane are its to embed: the reconciler must not queue them live. */
  onModuleInit(): void {
    this.reconciler.delegatePairs((modelId, ids) => this.backfills.heldPairs(modelId, ids));
  }
}
