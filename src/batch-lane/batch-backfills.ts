import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { notFound } from '../common/errors';
import { EmbeddingModelsService } from '../embeddings/embedding-models.service';
import { EmbeddingStore } from '../embeddings/embedding-store';
import { BatchLane } from './batch-lane.service';
import { type EmbeddingBatch, EmbeddingBatches } from './embedding-batches';

export interface BatchBackfill {
  id: string;
  modelId: number;
  purpose: 'ingest';
  state: 'running' | 'completed';
  pairs: number;
  pass: number;
  createdAt: Date;
  completedAt: Date | null;
}

const COLUMNS = `id, model_id AS "modelId", purpose, state, pairs, pass, created_at AS "createdAt", completed_at AS "completedAt"`;

/**
 * Bulk work on the batch lane other than a migration: the pairs of a bulk import created with
 * `lane: "batch"`, embedded for the model active then. The import writes the backfill in its
 * own transaction, so the pairs are never left to the live lane; the reconciler skips pairs a
 * running backfill holds (`heldPairs`). Each poll, a running backfill keeps up to
 * BATCH_LANE_MAX_IN_FLIGHT batches of its pending pairs open, in passes over its pairs (what a
 * batch sent back is taken by the next pass), and completes once none is pending or open.
 */
@Injectable()
export class BatchBackfills {
  private readonly logger = new Logger(BatchBackfills.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly lane: BatchLane,
    private readonly batches: EmbeddingBatches,
    private readonly store: EmbeddingStore,
    private readonly models: EmbeddingModelsService,
  ) {}

  /** Records a backfill of `pairIds` for `modelId` in the caller's transaction (the one that created the pairs). */
  async create(tx: EntityManager, modelId: number, pairIds: string[]): Promise<string> {
    const [row]: Array<{ id: string }> = await tx.query(
      `INSERT INTO batch_backfills (model_id, purpose, state, pairs) VALUES ($1, 'ingest', 'running', $2) RETURNING id`,
      [modelId, pairIds.length],
    );
    await tx.query(`INSERT INTO batch_backfill_pairs (backfill_id, qa_pair_id) SELECT $1, unnest($2::uuid[])`, [row.id, pairIds]);
    return row.id;
  }

  async get(id: string): Promise<BatchBackfill & { batches: EmbeddingBatch[] }> {
    const [row]: BatchBackfill[] = await this.db.query(`SELECT ${COLUMNS} FROM batch_backfills WHERE id = $1`, [id]);
    if (!row) throw notFound('batch backfill', id);
    return { ...row, batches: await this.batches.forBackfill(id) };
  }

  /** Of `ids`, the pairs a running backfill holds for `modelId`: the reconciler leaves them to it. */
  async heldPairs(modelId: number, ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows: Array<{ qa_pair_id: string }> = await this.db.query(
      `SELECT p.qa_pair_id FROM batch_backfill_pairs p JOIN batch_backfills b ON b.id = p.backfill_id
       WHERE b.state = 'running' AND b.model_id = $1 AND p.qa_pair_id = ANY($2::uuid[])`,
      [modelId, ids],
    );
    return new Set(rows.map((row) => row.qa_pair_id));
  }

  /** One step of every running backfill (run by the poller, once per cluster). */
  async stepAll(): Promise<void> {
    const running: Array<BatchBackfill & { cursor: string | null }> = await this.db.query(
      `SELECT ${COLUMNS}, cursor FROM batch_backfills WHERE state = 'running' ORDER BY created_at`,
    );
    for (const backfill of running) {
      try {
        await this.step(backfill);
      } catch (error) {
        this.logger.warn({ err: error, backfillId: backfill.id }, 'batch backfill step failed; the next poll retries');
      }
    }
  }

  private async step(backfill: BatchBackfill & { cursor: string | null }): Promise<void> {
    const model = await this.models.getById(backfill.modelId);
    const passDone = await this.lane.feed(
      model,
      { backfillId: backfill.id, purpose: 'ingest' },
      backfill.cursor,
      (after, limit) => this.pendingPage(backfill.id, model.id, after, limit),
      async (cursor) => {
        await this.db.query(`UPDATE batch_backfills SET cursor = $2 WHERE id = $1`, [backfill.id, cursor]);
        return true;
      },
    );
    if (!passDone) return;
    if ((await this.store.pendingAmong(model.id, await this.pairIds(backfill.id))).length > 0) {
      await this.db.query(`UPDATE batch_backfills SET cursor = NULL, pass = pass + 1 WHERE id = $1`, [backfill.id]);
      return;
    }
    await this.db.query(`UPDATE batch_backfills SET state = 'completed', completed_at = now() WHERE id = $1 AND state = 'running'`, [backfill.id]);
    this.logger.log({ backfillId: backfill.id, pairs: backfill.pairs }, 'batch backfill completed');
  }

  /**
   * The backfill's pending pairs after `after`, a page at most: its pairs are read a page at a
   * time in id order and filtered to those still pending (empty pages skipped), so the cursor
   * moves past pairs already embedded.
   */
  private async pendingPage(
    backfillId: string,
    modelId: number,
    after: string | null,
    limit: number,
  ): Promise<Array<{ id: string; contentHash: string }>> {
    for (let cursor = after; ;) {
      const rows: Array<{ qa_pair_id: string }> = await this.db.query(
        `SELECT qa_pair_id FROM batch_backfill_pairs WHERE backfill_id = $1 AND ($2::uuid IS NULL OR qa_pair_id > $2::uuid)
         ORDER BY qa_pair_id LIMIT $3`,
        [backfillId, cursor, limit],
      );
      if (rows.length === 0) return [];
      const pending = await this.store.pendingAmong(
        modelId,
        rows.map((row) => row.qa_pair_id),
      );
      if (pending.length > 0) return pending;
      cursor = rows[rows.length - 1].qa_pair_id;
    }
  }

  private async pairIds(backfillId: string): Promise<string[]> {
    const rows: Array<{ qa_pair_id: string }> = await this.db.query(`SELECT qa_pair_id FROM batch_backfill_pairs WHERE backfill_id = $1`, [
      backfillId,
    ]);
    return rows.map((row) => row.qa_pair_id);
  }
}
