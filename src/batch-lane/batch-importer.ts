import { Inject, Injectable, Logger } from '@nestjs/common';
import { PAID_WORK_HOLD_MS, retryWhileDependencyDown } from '../common/dependency-errors';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { UsageLedgerService } from '../cost-analytics/usage-ledger.service';
import { DeadLetterStore } from '../embeddings/dead-letter-store';
import type { EmbeddingModelEntity } from '../embeddings/embedding-model.entity';
import { EmbeddingStore, type EmbeddingWrite } from '../embeddings/embedding-store';
import type { OpenAIBatches } from '../embeddings/providers/openai-batches';
import { customIdOf, readBatchLine } from './batch-output';
import { type BatchItem, type EmbeddingBatch, EmbeddingBatches, type ItemOutcome } from './embedding-batches';

const WRITE_CHUNK = 500;

/**
 * Imports a finished batch (completed, expired or cancelled; a failed one has nothing):
 * streams its output file and stores each vector under the same content-hash guard as live
 * writes (a pair edited meanwhile keeps its newer embedding); reads its error file and
 * dead-letters permanent failures, and transient ones that failed QUEUE_MAX_ATTEMPTS batches
 * in a row; what else failed or never ran stays pending and is batched again by a later pass.
 * Then settles the batch's ledger call item by item (each line's own usage; 0 for a line that
 * failed or never ran) and marks the batch imported with each item's outcome.
 *
 * Exactly once where it counts: vectors are stored before the spend is confirmed, the
 * upsert is idempotent and the settlement happens once, so an import interrupted anywhere
 * and run again stores nothing twice and bills nothing twice.
 */
@Injectable()
export class BatchImporter {
  private readonly logger = new Logger(BatchImporter.name);

  constructor(
    private readonly batches: EmbeddingBatches,
    private readonly store: EmbeddingStore,
    private readonly deadLetters: DeadLetterStore,
    private readonly ledger: UsageLedgerService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async import(batch: EmbeddingBatch, model: EmbeddingModelEntity, api: OpenAIBatches): Promise<void> {
    const items = await this.batches.items(batch.id);
    const byCustomId = new Map(items.map((item) => [customIdOf(item.qaPairId, model.id, item.contentHash), item]));
    const billed = new Array<number>(items.length).fill(0);
    const outcomes = new Map<number, ItemOutcome>();

    const answered = new Set<number>();
    let pending: Array<{ item: BatchItem; write: EmbeddingWrite }> = [];
    const flush = async () => {
      if (pending.length === 0) return;
      const chunk = pending;
      pending = [];
      // Paid for: held through a database restart rather than bought again.
      const written = await retryWhileDependencyDown(
        () =>
          this.store.upsert(
            model.id,
            chunk.map((entry) => entry.write),
          ),
        PAID_WORK_HOLD_MS,
      );
      // Not written: already current with this content (an earlier run of this import, a live write), or edited since.
      const unwritten = chunk.filter(({ item }) => !written.has(item.qaPairId)).map(({ item }) => item.qaPairId);
      const current = unwritten.length ? await this.store.embeddedHashes(model.id, unwritten) : new Map<string, string>();
      for (const { item } of chunk) {
        const stored = written.has(item.qaPairId) || current.get(item.qaPairId) === item.contentHash;
        outcomes.set(item.position, stored ? 'embedded' : 'superseded');
      }
    };
    if (batch.outputFileId) {
      for await (const line of api.contentLines(batch.outputFileId)) {
        const result = readBatchLine(line, model.dimensions);
        const item = result && byCustomId.get(result.customId);
        if (!result?.ok || !item || answered.has(item.position)) continue;
        answered.add(item.position);
        billed[item.position] = result.tokens;
        pending.push({ item, write: { qaPairId: item.qaPairId, contentHash: item.contentHash, vector: result.vector, tokens: item.tokens } });
        if (pending.length >= WRITE_CHUNK) await flush();
      }
      await flush();
    }
    const failures: Array<{ item: BatchItem; error: string; permanent: boolean }> = [];
    if (batch.errorFileId) {
      for await (const line of api.contentLines(batch.errorFileId)) {
        const result = readBatchLine(line, model.dimensions);
        const item = result && byCustomId.get(result.customId);
        if (!result || result.ok || !item || answered.has(item.position)) continue;
        answered.add(item.position);
        outcomes.set(item.position, 'failed');
        failures.push({ item, error: result.error, permanent: result.permanent });
      }
    }
    await this.deadLetterFailures(batch, model, failures, outcomes);
    for (const item of items) if (!outcomes.has(item.position)) outcomes.set(item.position, 'not_run');

    await retryWhileDependencyDown(
      () => this.ledger.settleItems(batch.ledgerCallId, billed, batch.providerBatchId ?? batch.id, Date.now() - batch.createdAt.getTime()),
      PAID_WORK_HOLD_MS,
    );
    await this.batches.setOutcomes(
      batch.id,
      [...outcomes].map(([position, outcome]) => ({ position, outcome })),
    );
    const count = (outcome: ItemOutcome) => [...outcomes.values()].filter((value) => value === outcome).length;
    const summary = {
      embedded: count('embedded'),
      deadLettered: count('dead_lettered'),
      sentBack: items.length - count('embedded') - count('dead_lettered'),
    };
    await this.batches.imported(batch.id, summary);
    this.logger.log({ batchId: batch.id, state: batch.state, ...summary }, 'batch imported');
  }

  /**
   * Permanent failures become dead letters at once; a transient one only once the pair's same
   * content has failed QUEUE_MAX_ATTEMPTS batches (this one included), as a live job would after
   * its attempts. The rest stay pending for a later batch.
   */
  private async deadLetterFailures(
    batch: EmbeddingBatch,
    model: EmbeddingModelEntity,
    failures: Array<{ item: BatchItem; error: string; permanent: boolean }>,
    outcomes: Map<number, ItemOutcome>,
  ): Promise<void> {
    const earlier = await this.batches.earlierFailures(
      model.id,
      failures.filter((failure) => !failure.permanent).map((failure) => failure.item),
    );
    for (const { item, error, permanent } of failures) {
      const attempts = (earlier.get(item.qaPairId) ?? 0) + 1;
      if (!permanent && attempts < this.config.queue.maxAttempts) continue;
      await this.deadLetters.record({
        qaPairId: item.qaPairId,
        modelId: model.id,
        contentHash: item.contentHash,
        purpose: batch.purpose,
        errorKind: permanent ? 'permanent' : 'exhausted',
        error: permanent ? error : `${error} (failed in ${attempts} batches)`,
        attempts,
        jobId: `batch:${batch.id}`,
      });
      outcomes.set(item.position, 'dead_lettered');
    }
  }
}
