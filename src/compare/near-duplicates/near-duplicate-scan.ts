import { Injectable } from '@nestjs/common';
import { EmbeddingModelsService } from '../../embeddings/embedding-models.service';
import { EmbeddingVectors } from '../../embeddings/embedding-vectors';
import { findNearDuplicatesBounded, SIGNING_SHARE } from './bounded-near-duplicate-scan';
import { groupIntoClusters } from './near-duplicate-clusters';
import type { CompareRunOf } from '../runs/compare-runs';
import type { RunOutcome } from '../runs/background-runs';
import type { ReportProgress } from '../runs/run-progress';
import { ScanResults } from './scan-results';

/** What a scan run was asked for (compare_runs.parameters). */
export interface ScanParameters {
  threshold: number;
  /** Most pairs stored; clusters are built from the stored pairs. */
  limit: number;
  category: string | null;
}

/** What a completed scan leaves on its run (compare_runs.summary); its pairs and clusters are stored apart. */
export interface ScanSummary {
  vectors: number;
  pairs: number;
  clusters: number;
  /** More pairs than `limit` were found; the most similar were kept. */
  truncated: boolean;
  loadSeconds: number;
  scanSeconds: number;
}

/** Progress share of the searching phase's end; storing takes the rest. */
const SEARCH_END = 0.95;

/**
 * The work of one background near-duplicate scan, run by a worker: finds every pair of the
 * model's current vectors at or above the threshold with the bounded-memory LSH scan (only
 * signatures stay in memory; candidates' vectors are read back in blocks, all from one
 * snapshot), groups them into clusters, and hands back the results to be stored with the
 * run's completion. Memory does not grow with the vectors' size: ~300 B per vector.
 */
@Injectable()
export class NearDuplicateScan {
  constructor(
    private readonly models: EmbeddingModelsService,
    private readonly vectors: EmbeddingVectors,
    private readonly results: ScanResults,
  ) {}

  async run(run: CompareRunOf<'near_duplicate_scan'>, report: ReportProgress, signal: AbortSignal): Promise<RunOutcome<'near_duplicate_scan'>> {
    const { threshold, limit, category } = run.parameters;
    const model = await this.models.getById(run.modelId);
    report(0, 'loading');
    const found = await this.vectors.readSnapshot(model, category ?? undefined, (snapshot) =>
      findNearDuplicatesBounded(snapshot, {
        threshold,
        limit: limit + 1,
        signal,
        onProgress: (fraction) => report(SEARCH_END * fraction, fraction < SIGNING_SHARE ? 'loading' : 'searching'),
      }),
    );
    const truncated = found.pairs.length > limit;
    const pairs = truncated ? found.pairs.slice(0, limit) : found.pairs;
    const clusters = groupIntoClusters(pairs);
    report(SEARCH_END, 'storing');

    return {
      summary: {
        vectors: found.vectors,
        pairs: pairs.length,
        clusters: clusters.length,
        truncated,
        loadSeconds: found.signingSeconds,
        scanSeconds: found.searchSeconds,
      },
      write: (tx) => this.results.write(tx, run.id, pairs, clusters),
    };
  }
}
