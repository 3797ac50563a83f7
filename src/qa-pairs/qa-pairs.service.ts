import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import type { DataSource, Repository } from 'typeorm';
import { BatchBackfills } from '../batch-lane/batch-backfills';
import { type VersionCondition, satisfies } from '../common/conditional-request';
import { badRequest, notFound, preconditionFailed } from '../common/errors';
import { IdempotencyKeys } from '../common/idempotency/idempotency-keys';
import type { IdempotentRequest } from '../common/idempotency/idempotent-request';
import { contentHash, embeddingText } from '../common/qa-content';
import type { UsagePurpose } from '../cost-analytics/usage-purpose';
import type { EmbeddingModelEntity } from '../embeddings/embedding-model.entity';
import { EmbeddingModelsService } from '../embeddings/embedding-models.service';
import { EmbeddingProviders } from '../embeddings/providers/embedding-providers';
import { type EmbeddingStatus, EmbeddingStore } from '../embeddings/embedding-store';
import { countTokens } from '../embeddings/tokenizer';
import { PRIORITY, qaPairIdOfJobId } from '../queue/embedding-job';
import { EmbeddingQueue } from '../queue/embedding-queue.service';
import type { CreateQaPairDto, ListQaPairsQueryDto, QaPairDto, UpdateQaPairDto } from './dto/qa-pair.dto';
import { QaPairEntity } from './qa-pair.entity';

const DEFAULT_CATEGORY = 'general';
const RETURNING = `RETURNING id, question, answer, category, content_hash AS "contentHash", version,
                   created_at AS "createdAt", updated_at AS "updatedAt"`;

/** What a create answers (and what an Idempotency-Key replays). */
export interface CreatedPairs {
  items: QaPairDto[];
  /** Pairs Redis did not take now; the reconciler enqueues them later. */
  notYetQueued: number;
  /** True when this is the stored answer of an earlier request with the same Idempotency-Key. */
  replayed: boolean;
  /** With `lane: batch`: the batch backfill embedding these pairs for the active model. */
  batchBackfillId?: string;
}

export interface CreateOptions {
  priority?: number;
  /** How fields are named in errors: `items.` for bulk (`items.3.answer`), '' for one pair. */
  fieldPrefix?: string;
  idempotency?: IdempotentRequest;
  /** batch: the active model embeds these pairs through the Batch API (a batch backfill); other models kept current stay live. */
  lane?: 'live' | 'batch';
}

/**
 * CRUD of QA pairs; every change of content is queued for embedding under each model kept
 * current. Once a write has committed nothing may fail the request (a 5xx would make the
 * client write again): enqueueing and status reads after it degrade instead of throwing.
 */
@Injectable()
export class QaPairsService {
  private readonly logger = new Logger(QaPairsService.name);

  constructor(
    @InjectRepository(QaPairEntity) private readonly pairs: Repository<QaPairEntity>,
    @InjectDataSource() private readonly db: DataSource,
    private readonly models: EmbeddingModelsService,
    private readonly store: EmbeddingStore,
    private readonly queue: EmbeddingQueue,
    private readonly idempotencyKeys: IdempotencyKeys,
    private readonly backfills: BatchBackfills,
    private readonly providers: EmbeddingProviders,
  ) {}

  /**
   * Inserts all pairs in one statement (all or none), with the Idempotency-Key if any in the
   * same transaction, then enqueues them. A freshly created pair is `pending`.
   */
  async createMany(inputs: CreateQaPairDto[], options: CreateOptions = {}): Promise<CreatedPairs> {
    const { priority = PRIORITY.bulk, fieldPrefix = 'items.', idempotency, lane = 'live' } = options;
    const models = await this.models.modelsToKeepCurrent();
    const active = models.find((model) => model.isActive) ?? (await this.models.getActive());
    if (lane === 'batch') {
      try {
        this.providers.batchesFor(active);
      } catch (error) {
        throw badRequest('lane', error instanceof Error ? error.message : String(error));
      }
    }
    const limit = tightestInputLimit(models);
    const rows = inputs.map((input, i) => {
      this.checkTokens(input.question, input.answer, limit, `${fieldPrefix}${fieldPrefix ? `${i}.` : ''}`);
      return {
        question: input.question,
        answer: input.answer,
        category: input.category ?? DEFAULT_CATEGORY,
        contentHash: contentHash(input.question, input.answer),
      };
    });
    type Answer = Omit<CreatedPairs, 'replayed'>;
    const outcome = await this.db.transaction(async (tx): Promise<{ replay: Answer } | { inserted: QaPairEntity[]; answer: Answer }> => {
      const earlier = idempotency ? await this.idempotencyKeys.claim<Answer>(tx, idempotency) : undefined;
      if (earlier) return { replay: earlier.body };
      const inserted: QaPairEntity[] = await tx.query(
        `INSERT INTO qa_pairs (question, answer, category, content_hash)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
         ${RETURNING}`,
        [rows.map((r) => r.question), rows.map((r) => r.answer), rows.map((r) => r.category), rows.map((r) => r.contentHash)],
      );
      const batchBackfillId =
        lane === 'batch'
          ? await this.backfills.create(
              tx,
              active.id,
              inserted.map((pair) => pair.id),
            )
          : undefined;
      const answer = { items: inserted.map((pair) => toDto(pair, active.name, undefined)), notYetQueued: 0, batchBackfillId };
      if (idempotency) await this.idempotencyKeys.complete(tx, idempotency, { statusCode: 201, body: answer });
      return { inserted, answer };
    });
    if (idempotency) void this.idempotencyKeys.cleanupSoon();
    if ('replay' in outcome) return { ...outcome.replay, replayed: true };

    // Committed: from here on, nothing may turn the answer into an error.
    // On the batch lane the active model's embeddings come from the backfill; models being filled stay live.
    const liveModels = lane === 'batch' ? models.filter((model) => !model.isActive) : models;
    const notQueued = await this.enqueueAfterCommit(outcome.inserted, liveModels, 'ingest', priority);
    const answer = { ...outcome.answer, notYetQueued: notQueued.size };
    if (idempotency && notQueued.size > 0) await this.idempotencyKeys.amend(idempotency, answer);
    return { ...answer, replayed: false };
  }

  async get(id: string): Promise<QaPairDto> {
    const pair = await this.pairs.findOneBy({ id });
    if (!pair) throw notFound('QA pair', id);
    return (await this.toDtos([pair]))[0];
  }

  async list(query: ListQaPairsQueryDto): Promise<{ total: number; items: QaPairDto[] }> {
    const [pairs, total] = await this.pairs.findAndCount({
      where: query.category ? { category: query.category } : {},
      order: { createdAt: 'DESC', id: 'ASC' },
      take: query.limit,
      skip: query.offset,
    });
    return { total, items: await this.toDtos(pairs) };
  }

  /**
   * Changes only what is given; an unchanged question and answer spend no tokens. The row is
   * locked while the new content and hash are computed, so concurrent updates of different
   * fields both land. `version` (the ETag) goes up on every change, category included.
   */
  async update(id: string, input: UpdateQaPairDto, condition: VersionCondition = { kind: 'none' }): Promise<QaPairDto> {
    const models = await this.models.modelsToKeepCurrent();
    const active = models.find((model) => model.isActive) ?? (await this.models.getActive());
    const { pair, contentChanged } = await this.db.transaction(async (tx) => {
      const [current]: QaPairEntity[] = await tx.query(
        `SELECT id, question, answer, category, content_hash AS "contentHash", version,
                created_at AS "createdAt", updated_at AS "updatedAt"
         FROM qa_pairs WHERE id = $1 FOR UPDATE`,
        [id],
      );
      if (!current) throw notFound('QA pair', id);
      this.checkCondition(id, condition, current.version);
      const question = input.question ?? current.question;
      const answer = input.answer ?? current.answer;
      const category = input.category ?? current.category;
      const hash = contentHash(question, answer);
      const contentChanged = hash !== current.contentHash;
      if (!contentChanged && category === current.category) return { pair: current, contentChanged };
      if (contentChanged) this.checkTokens(question, answer, tightestInputLimit(models), '');
      // TypeORM answers an UPDATE … RETURNING with [rows, affected].
      const [[updated]]: [QaPairEntity[], number] = await tx.query(
        `UPDATE qa_pairs SET question = $2, answer = $3, category = $4, content_hash = $5,
                version = version + 1, updated_at = now()
         WHERE id = $1
         ${RETURNING}`,
        [id, question, answer, category, hash],
      );
      return { pair: updated, contentChanged };
    });
    if (contentChanged) await this.enqueueAfterCommit([pair], models, 'update', PRIORITY.live);
    return (await this.toDtosAfterWrite([pair], active))[0];
  }

  async remove(id: string, condition: VersionCondition = { kind: 'none' }): Promise<void> {
    const versions = condition.kind === 'versions' ? condition.versions : null;
    const [, deleted]: [unknown[], number] = await this.db.query(`DELETE FROM qa_pairs WHERE id = $1 AND ($2::int[] IS NULL OR version = ANY($2))`, [
      id,
      versions,
    ]);
    if (deleted > 0) return;
    const [current]: Array<{ version: number }> = await this.db.query(`SELECT version FROM qa_pairs WHERE id = $1`, [id]);
    if (!current) throw notFound('QA pair', id);
    this.checkCondition(id, condition, current.version);
  }

  private checkCondition(id: string, condition: VersionCondition, version: number): void {
    if (satisfies(condition, version)) return;
    const expected = condition.kind === 'versions' ? condition.versions.join(', ') : '';
    throw preconditionFailed(`QA pair ${id} is at version ${version}, not ${expected} (If-Match); read it again and reapply the change`, {
      currentVersion: version,
    });
  }

  /**
   * Enqueues after a commit; returns the ids of pairs not queued. Never throws: a pair not
   * queued now stays pending in PostgreSQL and the reconciler enqueues it later.
   */
  private async enqueueAfterCommit(
    pairs: QaPairEntity[],
    models: EmbeddingModelEntity[],
    purpose: UsagePurpose,
    priority: number,
  ): Promise<Set<string>> {
    const requests = pairs.flatMap((pair) =>
      models.map((model) => ({
        qaPairId: pair.id,
        model: model.name,
        contentHash: pair.contentHash,
        // Filling a model that is not active yet is migration work, whatever triggered it.
        purpose: model.isActive ? purpose : ('migration' as const),
        priority,
      })),
    );
    if (requests.length === 0) return new Set();
    try {
      const result = await this.queue.enqueueMany(requests);
      const queuedIds = new Set(result.jobIds.map(qaPairIdOfJobId));
      return new Set(pairs.filter((pair) => !queuedIds.has(pair.id)).map((pair) => pair.id));
    } catch (error) {
      this.logger.warn({ err: error, pairs: pairs.length }, 'could not enqueue after commit; the reconciler will');
      return new Set(pairs.map((pair) => pair.id));
    }
  }

  private checkTokens(question: string, answer: string, limit: number, field: string): void {
    const tokens = countTokens(embeddingText(question, answer));
    if (tokens > limit) {
      throw badRequest(`${field}answer`, `question and answer together are ${tokens} tokens; the embedding model takes at most ${limit}`);
    }
  }

  private async toDtos(pairs: QaPairEntity[]): Promise<QaPairDto[]> {
    if (pairs.length === 0) return [];
    const active = await this.models.getActive();
    const statuses = await this.store.statuses(
      active.id,
      pairs.map((pair) => pair.id),
    );
    return pairs.map((pair) => toDto(pair, active.name, statuses.get(pair.id)));
  }

  /** After a committed write a failed status read shows `pending` rather than failing the request. */
  private async toDtosAfterWrite(pairs: QaPairEntity[], active: EmbeddingModelEntity): Promise<QaPairDto[]> {
    let statuses = new Map<string, EmbeddingStatus>();
    try {
      statuses = await this.store.statuses(
        active.id,
        pairs.map((pair) => pair.id),
      );
    } catch (error) {
      this.logger.warn({ err: error }, 'could not read embedding statuses after a write; answering pending');
    }
    return pairs.map((pair) => toDto(pair, active.name, statuses.get(pair.id)));
  }
}

/** The tightest per-input limit among the models a pair must be embedded for. */
function tightestInputLimit(models: EmbeddingModelEntity[]): number {
  return Math.min(...models.map((model) => model.maxInputTokens));
}

function toDto(pair: QaPairEntity, modelName: string, status: EmbeddingStatus | undefined): QaPairDto {
  return {
    id: pair.id,
    question: pair.question,
    answer: pair.answer,
    category: pair.category,
    version: pair.version,
    createdAt: pair.createdAt,
    updatedAt: pair.updatedAt,
    embedding: {
      model: modelName,
      state: status?.state ?? 'pending',
      embeddedAt: status?.embeddedAt ?? null,
      error: status?.error ?? null,
    },
  };
}
