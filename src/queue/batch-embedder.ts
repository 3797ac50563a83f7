import { Injectable } from '@nestjs/common';
import { isDependencyDown, PAID_WORK_HOLD_MS, retryWhileDependencyDown } from '../common/dependency-errors';
import { isDomainError } from '../common/errors';
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
export type JobOutcome = { status: 'embedded'; inputsInCall: number } | { status: 'unchanged' | 'superseded' | 'deleted' };

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
export class BatchEmbedder {
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
    } catch (caught) {
      // Only a model that is really gone is permanent; a database blip is retried like any transient failure.
      if (!isDomainError(caught, 'not_found')) throw caught;
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
   * Embeds and stores `work`, each provider call's vectors as soon as it answers, so a
   * later call's failure never throws away what was paid for. A batch refused with 400/422
   * or failed with a 500 may owe it to one bad input (OpenAI has answered 500 to special
   * tokens): what is left is halved until the culprit is alone, so one bad pair does not
   * fail its neighbours. 502/503/504 are the provider's own trouble and are not bisected;
   * nor is a call the guard did not admit, so an outage (which opens the breaker after a
   * few failures) stops the halving instead of multiplying calls: at most 2·log2(n) extra
   * calls per culprit.
   */
  private async embedAndStore(model: EmbeddingModelEntity, work: Work[], results: Settled<JobOutcome>[], report?: EmbedCallReport): Promise<void> {
    if (work.length === 0) return;
    let stored = 0;
    const storeGroup = async (start: number, vectors: Float32Array[]) => {
      const group = work.slice(start, start + vectors.length);
      const writes = group.map((w, i) => ({ qaPairId: w.item.qaPairId, contentHash: w.contentHash, vector: vectors[i], tokens: w.item.tokens }));
      // Paid for: held through a database restart rather than bought again.
      const written = await retryWhileDependencyDown(() => this.store.upsert(model.id, writes), PAID_WORK_HOLD_MS);
      for (const w of group) {
        results[w.index] = {
          ok: true,
          value: written.has(w.item.qaPairId) ? { status: 'embedded', inputsInCall: group.length } : { status: 'superseded' },
        };
      }
      stored = start + vectors.length;
    };
    try {
      await this.client.embed(
        model,
        work.map((w) => w.item),
        report,
        storeGroup,
      );
    } catch (caught) {
      const rest = work.slice(stored);
      // PostgreSQL or Redis down (the ledger, the store, the guard's scripts) is an outage, not a provider failure:
      // the error stays what it is, so the runner holds the jobs without spending an attempt.
      if (!(caught instanceof ProviderError) && isDependencyDown(caught)) {
        for (const w of rest) results[w.index] = { ok: false, error: caught };
        return;
      }
      const error = classifyProviderError(caught);
      if (rest.length > 1 && mayBeOneBadInput(error)) {
        const middle = Math.ceil(rest.length / 2);
        await this.embedAndStore(model, rest.slice(0, middle), results, report);
        await this.embedAndStore(model, rest.slice(middle), results, report);
        return;
      }
      for (const w of rest) results[w.index] = { ok: false, error };
    }
  }
}

/** A failure one input of the batch may have caused on its own. */
function mayBeOneBadInput(error: ProviderError): boolean {
  const status = error.details.status;
  if (error.kind === 'permanent') return status === 400 || status === 422;
  return error.kind === 'transient' && status === 500;
}
