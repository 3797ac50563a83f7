import { Injectable } from '@nestjs/common';
import { embeddingText } from '../../common/qa-content';
import { EmbeddingClient, type EmbedItem } from '../../embeddings/embedding-client';
import { EmbeddingModelsService } from '../../embeddings/embedding-models.service';
import { EmbeddingVectors } from '../../embeddings/embedding-vectors';
import { countTokens } from '../../embeddings/tokenizer';
import { cosineSimilarity } from '../near-duplicates/cosine-similarity';
import type { RunOutcome } from '../runs/background-runs';
import type { CompareRunOf } from '../runs/compare-runs';
import type { ReportProgress } from '../runs/run-progress';
import { DriftReports } from './drift-reports';
import { type DriftVerdict, driftStatistics } from './drift-statistics';

/** What a drift run was asked for (compare_runs.parameters). */
export interface DriftParameters {
  sampleSize: number;
  tolerance: number;
}

/** What a completed check leaves on its run (compare_runs.summary); its report is stored in drift_reports. */
export interface DriftSummary {
  verdict: DriftVerdict;
  sampleSize: number;
  belowTolerance: number;
  tokens: number;
}

/**
 * The work of one drift check: re-embeds a random sample of pairs whose content has not
 * changed since they were embedded (through EmbeddingClient, so the tokens go to the
 * ledger under purpose `drift`) and compares each fresh vector with the stored one.
 */
@Injectable()
export class DriftCheck {
  constructor(
    private readonly models: EmbeddingModelsService,
    private readonly vectors: EmbeddingVectors,
    private readonly client: EmbeddingClient,
    private readonly reports: DriftReports,
  ) {}

  async run(run: CompareRunOf<'drift_check'>, report: ReportProgress, signal: AbortSignal): Promise<RunOutcome<'drift_check'>> {
    const { sampleSize, tolerance } = run.parameters;
    const model = await this.models.getById(run.modelId);
    report(0, 'sampling');
    const sample = await this.vectors.sampleUnchanged(model, sampleSize);
    signal.throwIfAborted();
    report(0.1, 'embedding');
    const items: EmbedItem[] = sample.map((pair) => {
      const text = embeddingText(pair.question, pair.answer);
      return { text, tokens: countTokens(text), qaPairId: pair.id, category: pair.category, purpose: 'drift' };
    });
    const fresh = items.length > 0 ? await this.client.embed(model, items) : [];
    report(0.95, 'comparing');
    const statistics = driftStatistics(
      sample.map((pair, i) => ({ qaPairId: pair.id, similarity: cosineSimilarity(fresh[i], pair.vector) })),
      tolerance,
    );
    const tokens = items.reduce((sum, item) => sum + item.tokens, 0);
    const checkedAt = new Date();
    return {
      summary: { verdict: statistics.verdict, sampleSize: statistics.sampleSize, belowTolerance: statistics.belowTolerance, tokens },
      write: (tx) => this.reports.write(tx, run.id, statistics, tokens, checkedAt),
    };
  }
}
