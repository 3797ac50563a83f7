import { Injectable } from '@nestjs/common';
import { EmbeddingModelsService } from '../embeddings/embedding-models.service';
import { EmbeddingVectors } from './embedding-vectors';
import { findNearDuplicatesUpTo } from './find-near-duplicates';
import { groupIntoClusters } from './near-duplicate-clusters';
import type { CompareRun } from './runs/compare-runs';
import type { RunOutcome } from './runs/background-runs';
import type { ReportProgress } from './runs/run-progress';
import { ScanResults } from './scan-results';

/** What a scan run was asked for (compare_runs.parameters). */
export interface ScanParameters {
  threshold: number;
  /** Most pairs stored; clusters are built from the stored pairs. */
  limit: number;
  category: string | null;
}

/** Shares of a scan's progress, from measured phase times at 20k × 1536 (README "Background scans and runs"). */
const LOAD_SHARE = 0.3;
const SEARCH_END = 0.95;

/**
 * The work of one background near-duplicate scan, run by a worker: loads the model's
 * current vectors, finds every pair at or above the threshold with the LSH index, groups
 * them into clusters, and hands back the results to be stored with the run's completion.
 */
@Injectable()
export class NearDuplicateScan {
  constructor(
    private readonly models: EmbeddingModelsService,
    private readonly vectors: EmbeddingVectors,
    private readonly results: ScanResults,
  ) {}

  async run(run: CompareRun, report: ReportProgress, signal: AbortSignal): Promise<RunOutcome> {
    const { threshold, limit, category } = run.parameters as unknown as ScanParameters;
    const model = await this.models.getById(run.modelId);
    let started = performance.now();
    report(0, 'loading');
    const expected = await this.vectors.countCurrent(model, category ?? undefined);
    const entries = await this.vectors.loadCurrent(model, {
      category: category ?? undefined,
      expected,
      signal,
      onProgress: (fraction) => report(LOAD_SHARE * fraction, 'loading'),
    });
    const loadSeconds = seconds(started);

    started = performance.now();
    const { pairs, truncated } = await findNearDuplicatesUpTo(entries, {
      threshold,
      limit,
      signal,
      onProgress: (fraction) => report(LOAD_SHARE + (SEARCH_END - LOAD_SHARE) * fraction, 'searching'),
    });
    const clusters = groupIntoClusters(pairs);
    const scanSeconds = seconds(started);
    report(SEARCH_END, 'storing');

    return {
      summary: { vectors: entries.length, pairs: pairs.length, clusters: clusters.length, truncated, loadSeconds, scanSeconds },
      write: (tx) => this.results.write(tx, run.id, pairs, clusters),
    };
  }
}

function seconds(since: number): number {
  return Math.round(performance.now() - since) / 1000;
}
