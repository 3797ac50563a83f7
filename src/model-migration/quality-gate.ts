import { Injectable } from '@nestjs/common';
import { unavailable } from '../common/errors';
import type { EmbeddingModelEntity } from '../embeddings/embedding-model.entity';
import type { GateMetric } from '../evaluation/evaluation-scores';
import type { Evaluation } from '../evaluation/evaluation-types';
import { EvaluationService } from '../evaluation/evaluation.service';
import { RetrievalEvaluations } from '../evaluation/retrieval-evaluations';
import { type EvaluationInputs, RetrievalEvaluator } from '../evaluation/retrieval-evaluator';
import type { GateVerdict } from './migration-types';
import type { ModelMigrationEntity } from './model-migration.entity';

/**
 * Judges a filled migration before its cutover: evaluates the source and the target on the
 * labelled queries (query tokens under purpose `evaluation`; the target also on captured
 * queries, against the source) and holds the target when it is worse than the source by more
 * than the migration's margin on its metric. An evaluation already completed for this
 * migration is reused, so a gate retried after a failure does not pay for it twice.
 */
/** After a failed evaluation, the gate waits this long before trying again. */
export const GATE_RETRY_MS = 10_000;

@Injectable()
export class QualityGate {
  constructor(
    private readonly evaluator: RetrievalEvaluator,
    private readonly evaluations: EvaluationService,
    private readonly records: RetrievalEvaluations,
  ) {}

  /**
   * Throws when an evaluation cannot run (provider down…): a later step judges again, no
   * sooner than GATE_RETRY_MS after the failure, so an outage does not start (and record) an
   * evaluation at every scheduler tick.
   */
  async judge(migration: ModelMigrationEntity, from: EmbeddingModelEntity, to: EmbeddingModelEntity): Promise<GateVerdict> {
    const failedAt = await this.records.lastFailureFor(migration.id);
    if (failedAt && Date.now() - failedAt.getTime() < GATE_RETRY_MS) {
      throw unavailable(
        'the quality gate waits before evaluating again after a failed evaluation',
        GATE_RETRY_MS - (Date.now() - failedAt.getTime()),
      );
    }
    const metric = migration.gateMetric;
    const margin = Number(migration.gateMargin);
    const inputs = await this.evaluator.inputs(true);
    const judgedAt = new Date().toISOString();
    if (inputs.labelled.length === 0) {
      return {
        verdict: 'no_labelled_queries',
        metric,
        margin,
        source: null,
        target: null,
        difference: null,
        message: 'no labelled queries to judge the target by; it was not evaluated (add some under /evaluation/queries)',
        judgedAt,
      };
    }
    const source = await this.evaluation(migration, from, null, { ...inputs, captured: [] });
    const target = await this.evaluation(migration, to, from, inputs);
    const sourceScores = source.results!.labelled!.overall;
    const targetScores = target.results!.labelled!.overall;
    const difference = round(targetScores[metric] - sourceScores[metric]);
    const passed = difference >= -margin;
    return {
      verdict: passed ? 'passed' : 'held',
      metric,
      margin,
      source: { model: from.name, evaluationId: source.id, scores: sourceScores },
      target: { model: to.name, evaluationId: target.id, scores: targetScores, agreement: target.results!.captured?.overall ?? null },
      difference,
      message: describe(metric, margin, from.name, sourceScores[metric], to.name, targetScores[metric], passed),
      judgedAt,
    };
  }

  private async evaluation(
    migration: ModelMigrationEntity,
    model: EmbeddingModelEntity,
    baseline: EmbeddingModelEntity | null,
    inputs: EvaluationInputs,
  ): Promise<Evaluation> {
    const earlier = await this.records.completedFor(migration.id, model.id);
    if (earlier?.results?.labelled && earlier.labelledQueries === inputs.labelled.length) return earlier;
    return this.evaluations.runNow(model, baseline, migration.id, inputs);
  }
}

function describe(metric: GateMetric, margin: number, from: string, before: number, to: string, after: number, passed: boolean): string {
  const figures = `${metric} ${to} ${after.toFixed(4)} vs ${from} ${before.toFixed(4)} (margin ${margin})`;
  return passed ? `passed: ${figures}` : `held: ${to} is worse than ${from} by more than the margin, ${figures}`;
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}
