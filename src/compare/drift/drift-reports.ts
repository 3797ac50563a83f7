import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { DriftStatistics, DriftVerdict, PairSimilarity } from './drift-statistics';

/** A finished drift check as stored (drift_reports), keyed by its run. */
export interface StoredDriftReport extends DriftStatistics {
  runId: string;
  tokens: number;
  checkedAt: Date;
}

interface ReportRow {
  run_id: string;
  sample_size: number;
  mean_similarity: number | null;
  min_similarity: number | null;
  p5_similarity: number | null;
  tolerance: number;
  below_tolerance: number;
  verdict: DriftVerdict;
  tokens: number;
  lowest: PairSimilarity[];
  checked_at: Date;
}

@Injectable()
export class DriftReports {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async write(tx: EntityManager, runId: string, statistics: DriftStatistics, tokens: number, checkedAt: Date): Promise<void> {
    await tx.query(
      `INSERT INTO drift_reports (run_id, sample_size, mean_similarity, min_similarity, p5_similarity, tolerance,
                                  below_tolerance, verdict, tokens, lowest, checked_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [
        runId,
        statistics.sampleSize,
        statistics.meanSimilarity,
        statistics.minSimilarity,
        statistics.p5Similarity,
        statistics.tolerance,
        statistics.belowTolerance,
        statistics.verdict,
        tokens,
        JSON.stringify(statistics.lowest),
        checkedAt,
      ],
    );
  }

  /** The reports of these runs (runs without one are not finished). */
  async forRuns(runIds: string[]): Promise<Map<string, StoredDriftReport>> {
    const rows: ReportRow[] = await this.db.query(`SELECT * FROM drift_reports WHERE run_id = ANY($1::uuid[])`, [runIds]);
    return new Map(
      rows.map((r) => [
        r.run_id,
        {
          runId: r.run_id,
          sampleSize: r.sample_size,
          meanSimilarity: r.mean_similarity,
          minSimilarity: r.min_similarity,
          p5Similarity: r.p5_similarity,
          tolerance: r.tolerance,
          belowTolerance: r.below_tolerance,
          verdict: r.verdict,
          tokens: r.tokens,
          lowest: r.lowest,
          checkedAt: r.checked_at,
        },
      ]),
    );
  }
}
