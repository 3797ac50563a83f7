import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { embeddingText } from '../common/qa-content';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { UsageLedgerService } from '../cost-analytics/usage-ledger.service';
import { DeadLetterStore } from '../embeddings/dead-letter-store';
import type { EmbeddingModelEntity } from '../embeddings/embedding-model.entity';
import { EmbeddingStore } from '../embeddings/embedding-store';
import { EmbeddingProviders } from '../embeddings/providers/embedding-providers';
import { OpenAIBatches } from '../embeddings/providers/openai-batches';
import { countTokens } from '../embeddings/tokenizer';
import { customIdOf } from './batch-output';
import { type BatchItem, type BatchOwner, type EmbeddingBatch, EmbeddingBatches } from './embedding-batches';

/** Bytes a request line adds besides its text (custom_id, method, url, model, options). */
const LINE_OVERHEAD_BYTES = 256;

/**
 * Builds and submits batches on OpenAI's Batch API for bulk work (a migration's backfill):
 * one request per pair, within the limits (requests, enqueued tokens, file size). Each batch
 * is a row in PostgreSQL before the provider hears of it, and its spend is in the ledger
 * before it is sent (unconfirmed, at the batch price: budgets and the hard cap count it from
 * then on). The poller (`BatchPoller`) follows it and imports its results.
 */
@Injectable()
export class BatchLane {
  private readonly logger = new Logger(BatchLane.name);

  constructor(
    private readonly batches: EmbeddingBatches,
    private readonly store: EmbeddingStore,
    private readonly deadLetters: DeadLetterStore,
    private readonly providers: EmbeddingProviders,
    private readonly ledger: UsageLedgerService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Submits one batch for a prefix of `pairs` (those that fit the limits); returns how many of
   * `pairs` it dealt with (batched, or dead-lettered as too long, or gone), so the caller's
   * cursor moves past exactly those. A provider refusal leaves the batch `failed` and its pairs
   * pending (a later pass takes them again), and is thrown.
   */
  async submit(model: EmbeddingModelEntity, pairs: Array<{ id: string; contentHash: string }>, owner: BatchOwner): Promise<number> {
    const api = this.providers.batchesFor(model);
    const sources = await this.store.loadSources(pairs.map((pair) => pair.id));
    const items: BatchItem[] = [];
    const texts: string[] = [];
    let tokens = 0;
    let bytes = 0;
    let dealt = 0;
    for (const pair of pairs) {
      const source = sources.get(pair.id);
      if (!source || source.contentHash !== pair.contentHash) {
        dealt++; // deleted or edited since the page was read: its own job embeds the new content
        continue;
      }
      const text = embeddingText(source.question, source.answer);
      const count = countTokens(text);
      if (count > model.maxInputTokens) {
        await this.deadLetters.record({
          qaPairId: pair.id,
          modelId: model.id,
          contentHash: pair.contentHash,
          purpose: owner.purpose,
          errorKind: 'permanent',
          error: `input too long: ${count} tokens, ${model.name} takes at most ${model.maxInputTokens}`,
          attempts: 1,
        });
        dealt++;
        continue;
      }
      const size = Buffer.byteLength(text) + LINE_OVERHEAD_BYTES;
      const full =
        items.length >= this.config.batchLane.maxRequests ||
        tokens + count > this.config.batchLane.maxTokens ||
        bytes + size > this.config.batchLane.maxFileBytes;
      if (full) break;
      items.push({ position: items.length, qaPairId: pair.id, contentHash: pair.contentHash, category: source.category, tokens: count });
      texts.push(text);
      tokens += count;
      bytes += size;
      dealt++;
    }
    if (items.length === 0) return dealt;

    const ledgerCallId = randomUUID();
    const id = await this.batches.create({ modelId: model.id, owner, ledgerCallId, items });
    await this.ledger.recordPending({
      callId: ledgerCallId,
      modelId: model.id,
      lane: 'batch',
      items: items.map((item) => ({ qaPairId: item.qaPairId, category: item.category ?? undefined, purpose: owner.purpose, tokens: item.tokens })),
    });
    const content = OpenAIBatches.inputFile(
      model,
      items.map((item, index) => ({ customId: customIdOf(item.qaPairId, model.id, item.contentHash), text: texts[index] })),
    );
    try {
      const { inputFileId, batch } = await api.submit(content, { embedding_batch_id: id });
      await this.batches.submitted(id, batch, inputFileId);
      this.logger.log({ batchId: id, providerBatchId: batch.id, requests: items.length, tokens }, 'batch submitted');
    } catch (error) {
      await this.giveUp(
        { id, ledgerCallId, requests: items.length },
        `batch not submitted: ${error instanceof Error ? error.message : String(error)}`,
      );
      throw error;
    }
    return dealt;
  }

  /**
   * Ends a batch that embedded nothing (refused at creation, failed validation, never
   * submitted): `failed` with why, its spend settled as not billed, all its pairs sent back.
   */
  async giveUp(batch: Pick<EmbeddingBatch, 'id' | 'ledgerCallId' | 'requests'>, why: string): Promise<void> {
    await this.batches.failedToSubmit(batch.id, why);
    await this.ledger.settle(batch.ledgerCallId, [], { outcome: 'not_billed', durationMs: 0, error: why });
    await this.batches.imported(batch.id, { embedded: 0, deadLettered: 0, sentBack: batch.requests });
  }

  /**
   * One feeding step of bulk work on the lane: keeps up to BATCH_LANE_MAX_IN_FLIGHT of the
   * owner's batches open, taking pending pairs page by page after `cursor`. The cursor is saved
   * before each batch is submitted (a pair is in one batch per pass at most); `saveCursor`
   * answering false (the work was paused or stopped meanwhile) ends the step. Returns true when
   * the pass is over: nothing left after the cursor and no batch open.
   */
  async feed(
    model: EmbeddingModelEntity,
    owner: BatchOwner,
    cursor: string | null,
    nextPage: (after: string | null, limit: number) => Promise<Array<{ id: string; contentHash: string }>>,
    saveCursor: (cursor: string) => Promise<boolean>,
  ): Promise<boolean> {
    const ownerId = 'migrationId' in owner ? owner.migrationId : owner.backfillId;
    let open = await this.batches.openCount(ownerId);
    while (open < this.config.batchLane.maxInFlight) {
      const page = await nextPage(cursor, this.config.batchLane.maxRequests);
      if (page.length === 0) return open === 0;
      cursor = page[page.length - 1].id;
      if (!(await saveCursor(cursor))) return false;
      await this.submit(model, page, owner);
      open++;
    }
    return false;
  }

  /** Asks the poller to cancel a migration's open batches (pause, cancel); their partial output is still imported. */
  cancelFor(migrationId: string): Promise<number> {
    return this.batches.requestCancel(migrationId);
  }

  /** Open batches of a migration or a backfill. */
  openCount(ownerId: string): Promise<number> {
    return this.batches.openCount(ownerId);
  }

  forMigrations(migrationIds: string[]): Promise<EmbeddingBatch[]> {
    return this.batches.forMigrations(migrationIds);
  }
}
