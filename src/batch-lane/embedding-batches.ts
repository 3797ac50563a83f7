import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { ProviderBatch } from '../embeddings/providers/openai-batches';

export type BatchState = 'building' | ProviderBatch['status'];
export type BatchPurpose = 'migration' | 'ingest';

/** Whose work a batch is: a migration's backfill, or a bulk import's (a batch backfill). */
export type BatchOwner = { migrationId: string; purpose: 'migration' } | { backfillId: string; purpose: 'ingest' };

export interface EmbeddingBatch {
  id: string;
  modelId: number;
  migrationId: string | null;
  backfillId: string | null;
  purpose: BatchPurpose;
  state: BatchState;
  providerBatchId: string | null;
  outputFileId: string | null;
  errorFileId: string | null;
  requests: number;
  tokens: number;
  completedRequests: number;
  failedRequests: number;
  embedded: number;
  deadLettered: number;
  sentBack: number;
  ledgerCallId: string;
  cancelRequested: boolean;
  error: string | null;
  createdAt: Date;
  submittedAt: Date | null;
  expiresAt: Date | null;
  endedAt: Date | null;
  importedAt: Date | null;
}

export type ItemOutcome = 'embedded' | 'dead_lettered' | 'failed' | 'not_run' | 'superseded';

/** One request line of a batch: a pair's text as it was when the batch was built. */
export interface BatchItem {
  position: number;
  qaPairId: string;
  contentHash: string;
  category: string | null;
  tokens: number;
}

const COLUMNS = `id, model_id AS "modelId", migration_id AS "migrationId", backfill_id AS "backfillId", purpose, state, provider_batch_id AS "providerBatchId",
  output_file_id AS "outputFileId", error_file_id AS "errorFileId", requests, tokens, completed_requests AS "completedRequests",
  failed_requests AS "failedRequests", embedded, dead_lettered AS "deadLettered", sent_back AS "sentBack", ledger_call_id AS "ledgerCallId",
  cancel_requested AS "cancelRequested", error, created_at AS "createdAt", submitted_at AS "submittedAt", expires_at AS "expiresAt",
  ended_at AS "endedAt", imported_at AS "importedAt"`;

/** The `embedding_batches` and `embedding_batch_items` tables: every batch, its items, its state and what its import did. */
@Injectable()
export class EmbeddingBatches {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async create(batch: { modelId: number; owner: BatchOwner; ledgerCallId: string; items: BatchItem[] }): Promise<string> {
    const { owner } = batch;
    return this.db.transaction(async (tx) => {
      const [row]: Array<{ id: string }> = await tx.query(
        `INSERT INTO embedding_batches (model_id, migration_id, backfill_id, purpose, state, requests, tokens, ledger_call_id)
         VALUES ($1, $2, $3, $4, 'building', $5, $6, $7) RETURNING id`,
        [
          batch.modelId,
          'migrationId' in owner ? owner.migrationId : null,
          'backfillId' in owner ? owner.backfillId : null,
          owner.purpose,
          batch.items.length,
          batch.items.reduce((sum, item) => sum + item.tokens, 0),
          batch.ledgerCallId,
        ],
      );
      await tx.query(
        `INSERT INTO embedding_batch_items (batch_id, position, qa_pair_id, content_hash, category, tokens)
         SELECT $1, * FROM unnest($2::int[], $3::uuid[], $4::text[], $5::text[], $6::int[])`,
        [
          row.id,
          batch.items.map((item) => item.position),
          batch.items.map((item) => item.qaPairId),
          batch.items.map((item) => item.contentHash),
          batch.items.map((item) => item.category),
          batch.items.map((item) => item.tokens),
        ],
      );
      return row.id;
    });
  }

  async submitted(id: string, providerBatch: ProviderBatch, inputFileId: string | null): Promise<void> {
    await this.db.query(
      `UPDATE embedding_batches SET provider_batch_id = $2, input_file_id = coalesce($3, input_file_id), state = $4, submitted_at = coalesce(submitted_at, now()),
              expires_at = $5 WHERE id = $1`,
      [id, providerBatch.id, inputFileId, providerBatch.status, providerBatch.expiresAt],
    );
  }

  async polled(id: string, providerBatch: ProviderBatch): Promise<void> {
    const ended = ['completed', 'failed', 'expired', 'cancelled'].includes(providerBatch.status);
    await this.db.query(
      `UPDATE embedding_batches SET state = $2, output_file_id = $3, error_file_id = $4, completed_requests = $5, failed_requests = $6,
              error = coalesce($7, error), polled_at = now(), ended_at = CASE WHEN $8 THEN coalesce(ended_at, now()) ELSE ended_at END
       WHERE id = $1`,
      [
        id,
        providerBatch.status,
        providerBatch.outputFileId,
        providerBatch.errorFileId,
        providerBatch.counts.completed,
        providerBatch.counts.failed,
        providerBatch.errors.length ? providerBatch.errors.join('; ').slice(0, 2000) : null,
        ended,
      ],
    );
  }

  /** A batch the provider never got (or refused at creation): failed, with why. */
  async failedToSubmit(id: string, error: string): Promise<void> {
    await this.db.query(`UPDATE embedding_batches SET state = 'failed', error = $2, ended_at = now() WHERE id = $1`, [id, error.slice(0, 2000)]);
  }

  async imported(id: string, outcome: { embedded: number; deadLettered: number; sentBack: number }): Promise<void> {
    await this.db.query(
      `UPDATE embedding_batches SET imported_at = now(), embedded = $2, dead_lettered = $3, sent_back = $4 WHERE id = $1 AND imported_at IS NULL`,
      [id, outcome.embedded, outcome.deadLettered, outcome.sentBack],
    );
  }

  /** Records what the import did with each item (by position). */
  async setOutcomes(id: string, outcomes: ReadonlyArray<{ position: number; outcome: ItemOutcome }>): Promise<void> {
    await this.db.query(
      `UPDATE embedding_batch_items i SET outcome = o.outcome FROM unnest($2::int[], $3::text[]) AS o(position, outcome)
       WHERE i.batch_id = $1 AND i.position = o.position`,
      [id, outcomes.map((o) => o.position), outcomes.map((o) => o.outcome)],
    );
  }

  /** How many earlier batches of `modelId` failed each of these pairs' content transiently. */
  async earlierFailures(modelId: number, items: ReadonlyArray<{ qaPairId: string; contentHash: string }>): Promise<Map<string, number>> {
    if (items.length === 0) return new Map();
    const rows: Array<{ qa_pair_id: string; failures: number }> = await this.db.query(
      `SELECT i.qa_pair_id, count(*)::int AS failures
       FROM embedding_batch_items i JOIN embedding_batches b ON b.id = i.batch_id
       JOIN unnest($2::uuid[], $3::text[]) AS p(qa_pair_id, content_hash) ON p.qa_pair_id = i.qa_pair_id AND p.content_hash = i.content_hash
       WHERE i.outcome = 'failed' AND b.model_id = $1
       GROUP BY i.qa_pair_id`,
      [modelId, items.map((item) => item.qaPairId), items.map((item) => item.contentHash)],
    );
    return new Map(rows.map((row) => [row.qa_pair_id, row.failures]));
  }

  async requestCancel(migrationId: string): Promise<number> {
    const [, count] = (await this.db.query(
      `UPDATE embedding_batches SET cancel_requested = true WHERE migration_id = $1 AND imported_at IS NULL AND NOT cancel_requested`,
      [migrationId],
    )) as [unknown, number];
    return count;
  }

  /** Batches not yet imported, oldest first. */
  async open(): Promise<EmbeddingBatch[]> {
    return this.db.query(`SELECT ${COLUMNS} FROM embedding_batches WHERE imported_at IS NULL ORDER BY created_at`);
  }

  /** Batches of a migration or a backfill (by its id) not imported yet. */
  async openCount(ownerId: string): Promise<number> {
    const [row]: Array<{ n: number }> = await this.db.query(
      `SELECT count(*)::int AS n FROM embedding_batches WHERE (migration_id = $1 OR backfill_id = $1) AND imported_at IS NULL`,
      [ownerId],
    );
    return row.n;
  }

  async forBackfill(backfillId: string): Promise<EmbeddingBatch[]> {
    return this.db.query(`SELECT ${COLUMNS} FROM embedding_batches WHERE backfill_id = $1 ORDER BY created_at`, [backfillId]);
  }

  async forMigrations(migrationIds: string[]): Promise<EmbeddingBatch[]> {
    if (migrationIds.length === 0) return [];
    return this.db.query(`SELECT ${COLUMNS} FROM embedding_batches WHERE migration_id = ANY($1::uuid[]) ORDER BY created_at`, [migrationIds]);
  }

  async items(id: string): Promise<BatchItem[]> {
    return this.db.query(
      `SELECT position, qa_pair_id AS "qaPairId", content_hash AS "contentHash", category, tokens FROM embedding_batch_items
       WHERE batch_id = $1 ORDER BY position`,
      [id],
    );
  }
}
