import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import type { DataSource, Repository } from 'typeorm';
import { badRequest, notFound } from '../common/http-errors';
import { contentHash, embeddingText } from '../common/qa-content';
import type { UsagePurpose } from '../cost-analytics/usage-purpose';
import { EmbeddingModelsService } from '../embeddings/embedding-models.service';
import { EmbeddingStore } from '../embeddings/embedding-store';
import { countTokens } from '../embeddings/tokenizer';
import { PRIORITY, qaPairIdOfJobId } from '../queue/embedding-job';
import { EmbeddingQueue } from '../queue/embedding-queue.service';
import type { CreateQaPairDto, ListQaPairsQueryDto, QaPairDto, UpdateQaPairDto } from './dto/qa-pair.dto';
import { QaPairEntity } from './qa-pair.entity';

const DEFAULT_CATEGORY = 'general';

/** CRUD of QA pairs; every change of content is queued for embedding under each model kept current. */
@Injectable()
export class QaPairsService {
  constructor(
    @InjectRepository(QaPairEntity) private readonly pairs: Repository<QaPairEntity>,
    @InjectDataSource() private readonly db: DataSource,
    private readonly models: EmbeddingModelsService,
    private readonly store: EmbeddingStore,
    private readonly queue: EmbeddingQueue,
  ) {}

  async create(input: CreateQaPairDto): Promise<QaPairDto> {
    const [created] = await this.createMany([input], PRIORITY.live, '');
    return created.pair;
  }

  /** Inserts all pairs in one statement (all or none), then enqueues them at bulk priority. */
  async createMany(
    inputs: CreateQaPairDto[],
    priority: number = PRIORITY.bulk,
    fieldPrefix = 'items.',
  ): Promise<Array<{ pair: QaPairDto; queued: boolean }>> {
    const limit = await this.inputTokenLimit();
    const rows = inputs.map((input, i) => {
      this.checkTokens(input.question, input.answer, limit, `${fieldPrefix}${fieldPrefix ? `${i}.` : ''}`);
      return {
        question: input.question,
        answer: input.answer,
        category: input.category ?? DEFAULT_CATEGORY,
        contentHash: contentHash(input.question, input.answer),
      };
    });
    const inserted: QaPairEntity[] = (
      await this.db.query(
        `INSERT INTO qa_pairs (question, answer, category, content_hash)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
         RETURNING id, question, answer, category, content_hash AS "contentHash", version,
                   created_at AS "createdAt", updated_at AS "updatedAt"`,
        [rows.map((r) => r.question), rows.map((r) => r.answer), rows.map((r) => r.category), rows.map((r) => r.contentHash)],
      )
    ).map((row: QaPairEntity) => row);
    const queued = await this.enqueue(inserted, 'ingest', priority);
    const dtos = await this.toDtos(inserted);
    return dtos.map((pair) => ({ pair, queued: !queued.failedIds.has(pair.id) }));
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

  /** Changes only what is given; an unchanged question and answer spend no tokens. */
  async update(id: string, input: UpdateQaPairDto): Promise<QaPairDto> {
    const pair = await this.pairs.findOneBy({ id });
    if (!pair) throw notFound('QA pair', id);
    const question = input.question ?? pair.question;
    const answer = input.answer ?? pair.answer;
    const hash = contentHash(question, answer);
    const contentChanged = hash !== pair.contentHash;
    if (contentChanged) this.checkTokens(question, answer, await this.inputTokenLimit(), '');
    const [updated]: QaPairEntity[] = (
      await this.db.query(
        `UPDATE qa_pairs SET question = $2, answer = $3, category = $4, content_hash = $5,
                version = version + $6, updated_at = now()
         WHERE id = $1
         RETURNING id, question, answer, category, content_hash AS "contentHash", version,
                   created_at AS "createdAt", updated_at AS "updatedAt"`,
        [id, question, answer, input.category ?? pair.category, hash, contentChanged ? 1 : 0],
      )
    )[0];
    if (!updated) throw notFound('QA pair', id);
    if (contentChanged) await this.enqueue([updated], 'update', PRIORITY.live);
    return (await this.toDtos([updated]))[0];
  }

  async remove(id: string): Promise<void> {
    const result = await this.pairs.delete({ id });
    if (!result.affected) throw notFound('QA pair', id);
  }

  private async enqueue(pairs: QaPairEntity[], purpose: UsagePurpose, priority: number): Promise<{ failedIds: Set<string> }> {
    const models = await this.models.modelsToKeepCurrent();
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
    const result = await this.queue.enqueueMany(requests);
    const queuedIds = new Set(result.jobIds.map(qaPairIdOfJobId));
    return { failedIds: new Set(pairs.filter((pair) => !queuedIds.has(pair.id)).map((pair) => pair.id)) };
  }

  /** The tightest per-input limit among the models a pair must be embedded for. */
  private async inputTokenLimit(): Promise<number> {
    const models = await this.models.modelsToKeepCurrent();
    return Math.min(...models.map((model) => model.maxInputTokens));
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
    const statuses = await this.store.statuses(active.id, pairs.map((pair) => pair.id));
    return pairs.map((pair) => {
      const status = statuses.get(pair.id);
      return {
        id: pair.id,
        question: pair.question,
        answer: pair.answer,
        category: pair.category,
        version: pair.version,
        createdAt: pair.createdAt,
        updatedAt: pair.updatedAt,
        embedding: {
          model: active.name,
          state: status?.state ?? 'pending',
          embeddedAt: status?.embeddedAt ?? null,
          error: status?.error ?? null,
        },
      };
    });
  }
}
