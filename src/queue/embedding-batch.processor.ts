import { Injectable } from '@nestjs/common';
import { embeddingText } from '../common/qa-content';
import { type EmbedCallReport, EmbeddingClient, type EmbedItem } from '../embeddings/embedding-client';
import type { EmbeddingModelEntity } from '../embeddings/embedding-model.entity';
import { EmbeddingModelsService } from '../embeddings/embedding-models.service';
import { EmbeddingStore } from '../embeddings/embedding-store';
import { ProviderError, classifyProviderError } from '../embeddings/providers/provider-error';
import { countTokens } from '../embeddings/tokenizer';
import type { EmbeddingJobData } from './embedding-job';
import type { Settled } from './micro-batcher';

/** What became of one job. */
export type JobOutcome =
  | { status: 'embedded'; inputsInCall: number }
  | { status: 'unchanged' | 'superseded' | 'deleted' };

interface Work {
  index: number;
  job: EmbeddingJobData;
  item: EmbedItem & { qaPairId: string };
  contentHash: string;
}

/**
 * Embeds one batch of jobs for one model: reads the pairs' current content, skips jobs
 * whose pair was deleted, edited since, or is already embedded, sends the rest in as
 * few provider requests as the limits allow, and writes the vectors.
 */
@Injectable()
export class EmbeddingBatchProcessor {
  constructor(
    private readonly models: EmbeddingModelsService,
    private readonly store: EmbeddingStore,
    private readonly client: EmbeddingClient,
  ) {}

  async process(modelName: string, jobs: EmbeddingJobData[], report?: EmbedCallReport): Promise<Settled<JobOutcome>[]> {
    const results = new Array<Settled<JobOutcome>>(jobs.length);
    let model: EmbeddingModelEntity;
    try {
      model = await this.models.getByName(modelName);
    } catch {
      const error = new ProviderError('permanent', `embedding model ${modelName} does not exist`);
      return jobs.map(() => ({ ok: false, error }));
    }
    const ids = [...new Set(jobs.map((job) => job.qaPairId))];
    const [sources, embedded] = await Promise.all([this.store.loadSources(ids), this.store.embeddedHashes(model.id, ids)]);

    const work: Work[] = [];
    const claimed = new Set<string>();
    jobs.forEach((job, index) => {
      const source = sources.get(job.qaPairId);
      if (!source) results[index] = { ok: true, value: { status: 'deleted' } };
      else if (source.contentHash !== job.contentHash) results[index] = { ok: true, value: { status: 'superseded' } };
      else if (embedded.get(job.qaPairId) === source.contentHash || claimed.has(job.qaPairId)) {
        results[index] = { ok: true, value: { status: 'unchanged' } };
      } else {
        claimed.add(job.qaPairId);
        const text = embeddingText(source.question, source.answer);
        const tokens = countTokens(text);
        const item = { text, tokens, qaPairId: source.id, category: source.category, purpose: job.purpose };
        if (tokens > model.maxInputTokens) {
          results[index] = {
            ok: false,
            error: new ProviderError('permanent', `input too long: ${tokens} tokens, ${model.name} takes at most ${model.maxInputTokens}`),
          };
        } else work.push({ index, job, item, contentHash: source.contentHash });
      }
    });

    await this.embedAndStore(model, work, results, report);
    return results;
  }

  /**
   * A 400 for a batch may come from one bad input: halve the batch until the culprit is
   * alone, so one bad pair does not fail its 255 neighbours.
   */
  private async embedAndStore(
    model: EmbeddingModelEntity,
    work: Work[],
    results: Settled<JobOutcome>[],
    report?: EmbedCallReport,
  ): Promise<void> {
    if (work.length === 0) return;
    let vectors: Float32Array[];
    try {
      vectors = await this.client.embed(model, work.map((w) => w.item), report);
    } catch (caught) {
      const error = classifyProviderError(caught);
      const status = error.details.status;
      if (error.kind === 'permanent' && work.length > 1 && (status === 400 || status === 422)) {
        const middle = Math.ceil(work.length / 2);
        await this.embedAndStore(model, work.slice(0, middle), results, report);
        await this.embedAndStore(model, work.slice(middle), results, report);
        return;
      }
      for (const w of work) results[w.index] = { ok: false, error };
      return;
    }
    const written = await this.store.upsert(
      model.id,
      work.map((w, i) => ({ qaPairId: w.item.qaPairId, contentHash: w.contentHash, vector: vectors[i], tokens: w.item.tokens })),
    );
    for (const w of work) {
      results[w.index] = {
        ok: true,
        value: written.has(w.item.qaPairId) ? { status: 'embedded', inputsInCall: work.length } : { status: 'superseded' },
      };
    }
  }
}
