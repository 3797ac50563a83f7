import { Injectable, Logger } from '@nestjs/common';
import Decimal from 'decimal.js';
import type { EmbeddingModelEntity } from '../embeddings/embedding-model.entity';
import { EmbeddingModelsService } from '../embeddings/embedding-models.service';
import type { Evaluation, EvaluationEstimate } from './evaluation-types';
import { type EvaluationInputs, RetrievalEvaluator } from './retrieval-evaluator';
import { RetrievalEvaluations } from './retrieval-evaluations';

const PROGRESS_EVERY_MS = 1_000;

/**
 * Evaluations of a model's retrieval quality: the estimate (queries, tokens, cost), and the
 * evaluation itself, as a stored resource. Through the API it runs in the background of the
 * process that took the request; the migration gate runs it in its own step.
 */
@Injectable()
export class EvaluationService {
  private readonly logger = new Logger(EvaluationService.name);

  constructor(
    private readonly models: EmbeddingModelsService,
    private readonly evaluator: RetrievalEvaluator,
    private readonly evaluations: RetrievalEvaluations,
  ) {}

  async estimate(modelName: string): Promise<EvaluationEstimate> {
    const { model, baseline } = await this.modelAndBaseline(modelName);
    return this.estimateFor(model, baseline, await this.evaluator.inputs(baseline !== null));
  }

  async estimateFor(model: EmbeddingModelEntity, baseline: EmbeddingModelEntity | null, inputs: EvaluationInputs): Promise<EvaluationEstimate> {
    const tokens = this.evaluator.tokens(inputs, baseline !== null);
    const price = await this.models.priceInForce(model);
    const warnings: string[] = [];
    if (inputs.labelled.length === 0) {
      warnings.push('no labelled queries: recall, MRR and nDCG cannot be measured, and a migration quality gate falls back to cutting over unjudged');
    }
    if (baseline && inputs.captured.length === 0) warnings.push('no captured queries: agreement with the active model is not measured');
    if (baseline && inputs.captured.length > 0) warnings.push(`captured queries are embedded under ${baseline.name} too, at its price`);
    return {
      model: model.name,
      baselineModel: baseline?.name ?? null,
      labelledQueries: inputs.labelled.length,
      capturedQueries: baseline ? inputs.captured.length : 0,
      tokens,
      costUsd: new Decimal(tokens).mul(price).div(1_000_000).toFixed(),
      warnings,
    };
  }

  /** Starts an evaluation in the background; read it with `get`. */
  async start(modelName: string): Promise<Evaluation> {
    const { model, baseline } = await this.modelAndBaseline(modelName);
    const inputs = await this.evaluator.inputs(baseline !== null);
    const id = await this.create(model, baseline, null, inputs);
    void this.execute(id, model, baseline, inputs);
    return this.evaluations.get(id);
  }

  /** Runs an evaluation to its end (for the migration gate); throws if it fails. */
  async runNow(
    model: EmbeddingModelEntity,
    baseline: EmbeddingModelEntity | null,
    migrationId: string,
    inputs: EvaluationInputs,
  ): Promise<Evaluation> {
    const id = await this.create(model, baseline, migrationId, inputs);
    const error = await this.execute(id, model, baseline, inputs);
    if (error) throw error;
    return this.evaluations.get(id);
  }

  get(id: string): Promise<Evaluation> {
    return this.evaluations.get(id);
  }

  list(limit: number, offset: number): Promise<{ total: number; items: Evaluation[] }> {
    return this.evaluations.list(limit, offset);
  }

  private create(
    model: EmbeddingModelEntity,
    baseline: EmbeddingModelEntity | null,
    migrationId: string | null,
    inputs: EvaluationInputs,
  ): Promise<string> {
    return this.evaluations.create({
      modelId: model.id,
      baselineModelId: baseline?.id ?? null,
      migrationId,
      labelled: inputs.labelled.length,
      captured: baseline ? inputs.captured.length : 0,
    });
  }

  /** Runs and stores the outcome; returns the error it failed with, if any. */
  private async execute(id: string, model: EmbeddingModelEntity, baseline: EmbeddingModelEntity | null, inputs: EvaluationInputs): Promise<unknown> {
    let lastWrite = Date.now();
    const onProgress = (fraction: number) => {
      if (Date.now() - lastWrite < PROGRESS_EVERY_MS) return;
      lastWrite = Date.now();
      this.evaluations
        .progress(id, fraction)
        .catch((error: unknown) => this.logger.warn({ err: error, evaluationId: id }, 'could not write progress'));
    };
    try {
      await this.evaluations.complete(id, await this.evaluator.run(model, baseline, inputs, onProgress));
      return undefined;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.logger.warn({ err: error, evaluationId: id, model: model.name }, 'evaluation failed');
      await this.evaluations.fail(id, message).catch(() => undefined);
      return error;
    }
  }

  /** The model, and the active one to compare captured queries with unless it is the model itself. */
  private async modelAndBaseline(modelName: string): Promise<{ model: EmbeddingModelEntity; baseline: EmbeddingModelEntity | null }> {
    const [model, active] = await Promise.all([this.models.getByName(modelName), this.models.getActive()]);
    return { model, baseline: active.id === model.id ? null : active };
  }
}
