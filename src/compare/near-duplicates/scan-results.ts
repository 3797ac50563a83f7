import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { readPage } from '../../database/read-page';
import { checkedInt } from '../../embeddings/vector-sql';
import { dismissedSql } from './dismissals';
import type { NearDuplicatePair } from './near-duplicate-pairs';

/** Rows per INSERT: keeps each statement's parameters a few MB. */
const INSERT_CHUNK = 10_000;

export interface StoredCluster {
  rank: number;
  qaPairIds: string[];
}

/** A scan's stored pairs (ranked, most similar first) and clusters (largest first), read in pages. */
@Injectable()
export class ScanResults {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async write(tx: EntityManager, runId: string, pairs: readonly NearDuplicatePair<string>[], clusters: readonly string[][]): Promise<void> {
    for (let start = 0; start < pairs.length; start += INSERT_CHUNK) {
      const chunk = pairs.slice(start, start + INSERT_CHUNK);
      await tx.query(
        `INSERT INTO near_duplicate_scan_pairs (run_id, rank, qa_pair_a, qa_pair_b, similarity)
         SELECT $1, $2::int + t.ordinality, t.a, t.b, t.s
         FROM unnest($3::uuid[], $4::uuid[], $5::float8[]) WITH ORDINALITY AS t(a, b, s, ordinality)`,
        [runId, start, chunk.map((p) => p.idA), chunk.map((p) => p.idB), chunk.map((p) => p.similarity)],
      );
    }
    for (let start = 0; start < clusters.length; start += INSERT_CHUNK) {
      await tx.query(
        `INSERT INTO near_duplicate_scan_clusters (run_id, rank, qa_pair_ids)
         SELECT $1, $2::int + c.ordinality, ARRAY(SELECT jsonb_array_elements_text(c.ids)::uuid)
         FROM jsonb_array_elements($3::jsonb) WITH ORDINALITY AS c(ids, ordinality)`,
        [runId, start, JSON.stringify(clusters.slice(start, start + INSERT_CHUNK))],
      );
    }
  }

  /**
   * A page of the scan's pairs, most similar first. `includeDismissed: false` leaves out the
   * pairs dismissed as not duplicates (a dismissal that still counts: `dismissedSql`).
   */
  async pairs(
    runId: string,
    limit: number,
    offset: number,
    { includeDismissed }: { includeDismissed: boolean },
  ): Promise<{ total: number; items: NearDuplicatePair<string>[] }> {
    if (!includeDismissed) return this.pairsNotDismissed(runId, limit, offset);
    const [rows, [count]]: [Array<{ qa_pair_a: string; qa_pair_b: string; similarity: number }>, Array<{ n: string }>] = await Promise.all([
      this.db.query(
        `SELECT qa_pair_a, qa_pair_b, similarity FROM near_duplicate_scan_pairs
           WHERE run_id = $1 AND rank > $2 ORDER BY rank LIMIT $3`,
        [runId, offset, limit],
      ),
      this.db.query(`SELECT count(*) AS n FROM near_duplicate_scan_pairs WHERE run_id = $1`, [runId]),
    ]);
    return { total: Number(count.n), items: rows.map((r) => ({ idA: r.qa_pair_a, idB: r.qa_pair_b, similarity: r.similarity })) };
  }

  /** The stored results do not change, the dismissals may: the page and its total in one snapshot, by OFFSET (ranks skip the hidden pairs). */
  private async pairsNotDismissed(runId: string, limit: number, offset: number): Promise<{ total: number; items: NearDuplicatePair<string>[] }> {
    const where = `WHERE p.run_id = $1 AND NOT ${dismissedSql('p.qa_pair_a', 'p.qa_pair_b')}`;
    const { rows, total } = await readPage<{ qa_pair_a: string; qa_pair_b: string; similarity: number }>(
      this.db,
      {
        sql: `SELECT p.qa_pair_a, p.qa_pair_b, p.similarity FROM near_duplicate_scan_pairs p ${where}
              ORDER BY p.rank LIMIT ${checkedInt(limit)} OFFSET ${checkedInt(offset)}`,
        params: [runId],
      },
      { sql: `SELECT count(*) AS n FROM near_duplicate_scan_pairs p ${where}`, params: [runId] },
    );
    return { total, items: rows.map((r) => ({ idA: r.qa_pair_a, idB: r.qa_pair_b, similarity: r.similarity })) };
  }

  async clusters(runId: string, limit: number, offset: number): Promise<{ total: number; items: StoredCluster[] }> {
    const [rows, [count]]: [Array<{ rank: number; qa_pair_ids: string[] }>, Array<{ n: string }>] = await Promise.all([
      this.db.query(`SELECT rank, qa_pair_ids FROM near_duplicate_scan_clusters WHERE run_id = $1 AND rank > $2 ORDER BY rank LIMIT $3`, [
        runId,
        offset,
        limit,
      ]),
      this.db.query(`SELECT count(*) AS n FROM near_duplicate_scan_clusters WHERE run_id = $1`, [runId]),
    ]);
    return { total: Number(count.n), items: rows.map((r) => ({ rank: r.rank, qaPairIds: r.qa_pair_ids })) };
  }
}
