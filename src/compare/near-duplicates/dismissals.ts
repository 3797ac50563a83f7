import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { badRequest, notFound } from '../../common/errors';
import { readPage } from '../../database/read-page';
import { checkedInt } from '../../embeddings/vector-sql';

/** Two QA pairs a person judged not to be duplicates of each other. */
export interface Dismissal {
  id: string;
  /** The smaller id of the two. */
  idA: string;
  idB: string;
  reason: string | null;
  dismissedAt: Date;
  /** Both pairs still have the content they had when dismissed (otherwise the dismissal no longer hides them). */
  current: boolean;
}

interface DismissalRow {
  id: string;
  qa_pair_a: string;
  qa_pair_b: string;
  reason: string | null;
  dismissed_at: Date;
  current: boolean;
}

/** Most QA pairs dismissed in one request: every two of them become a row (50 → 1,225). */
export const MAX_DISMISSED_GROUP = 50;

/**
 * SQL that is true when the two QA pairs named by the column expressions `a` and `b` have a
 * dismissal that still counts (both pairs keep the content they were dismissed at). For the
 * lists that hide dismissed near-duplicates: a scan's pairs, the ones detected at ingestion.
 */
export function dismissedSql(a: string, b: string): string {
  return `EXISTS (SELECT 1 FROM near_duplicate_dismissals x
    JOIN qa_pairs xa ON xa.id = x.qa_pair_a AND xa.content_hash = x.content_hash_a
    JOIN qa_pairs xb ON xb.id = x.qa_pair_b AND xb.content_hash = x.content_hash_b
    WHERE x.qa_pair_a = least(${a}, ${b}) AND x.qa_pair_b = greatest(${a}, ${b}))`;
}

const COLUMNS = `d.id, d.qa_pair_a, d.qa_pair_b, d.reason, d.dismissed_at,
  (a.content_hash = d.content_hash_a AND b.content_hash = d.content_hash_b) AS current`;
/** Both pairs, for `current` (a dismissal's pairs exist: deleting one deletes it). */
const JOINS = `JOIN qa_pairs a ON a.id = d.qa_pair_a JOIN qa_pairs b ON b.id = d.qa_pair_b`;

/**
 * Near-duplicates dismissed as not duplicates (table near_duplicate_dismissals, this module's):
 * a row per two QA pairs with the content hashes they had, so an edit of either makes them
 * worth a look again. Not tied to a model: the judgement is about the texts.
 */
@Injectable()
export class NearDuplicateDismissals {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Every two of `ids` are not duplicates of each other, at their content now. A missing pair is a 404 and nothing is written. */
  async dismiss(ids: readonly string[], reason: string | null): Promise<Dismissal[]> {
    const distinct = [...new Set(ids.map((id) => id.toLowerCase()))];
    if (distinct.length < 2) throw badRequest('qaPairIds', 'must name at least two different QA pairs');
    return this.db.transaction(async (tx) => {
      // KEY SHARE: neither pair can be deleted before the insert (its foreign keys would fail).
      const pairs: Array<{ id: string; content_hash: string }> = await tx.query(
        `SELECT id, content_hash FROM qa_pairs WHERE id = ANY($1::uuid[]) ORDER BY id FOR KEY SHARE`,
        [distinct],
      );
      const found = new Set(pairs.map((pair) => pair.id));
      const missing = distinct.find((id) => !found.has(id));
      if (missing) throw notFound('QA pair', missing);
      const rows: DismissalRow[] = await tx.query(
        `WITH p AS (SELECT * FROM unnest($1::uuid[], $2::text[]) AS p(id, hash))
         INSERT INTO near_duplicate_dismissals (qa_pair_a, qa_pair_b, content_hash_a, content_hash_b, reason)
         SELECT a.id, b.id, a.hash, b.hash, $3 FROM p a JOIN p b ON a.id < b.id
         ON CONFLICT (qa_pair_a, qa_pair_b) DO UPDATE
           SET content_hash_a = EXCLUDED.content_hash_a, content_hash_b = EXCLUDED.content_hash_b,
               reason = EXCLUDED.reason, dismissed_at = now()
         RETURNING id, qa_pair_a, qa_pair_b, reason, dismissed_at, true AS current`,
        [pairs.map((pair) => pair.id), pairs.map((pair) => pair.content_hash), reason],
      );
      return rows.map(toDismissal).sort((x, y) => x.idA.localeCompare(y.idA) || x.idB.localeCompare(y.idB));
    });
  }

  /** Newest first, each with whether it still counts. */
  async list(limit: number, offset: number): Promise<{ total: number; items: Dismissal[] }> {
    const { rows, total } = await readPage<DismissalRow>(
      this.db,
      {
        sql: `SELECT ${COLUMNS} FROM near_duplicate_dismissals d ${JOINS} ORDER BY d.dismissed_at DESC, d.id LIMIT ${checkedInt(limit)} OFFSET ${checkedInt(offset)}`,
      },
      { sql: `SELECT count(*) AS n FROM near_duplicate_dismissals` },
    );
    return { total, items: rows.map(toDismissal) };
  }

  /** Takes a dismissal back: the two show again wherever they are near-duplicates. */
  async remove(id: string): Promise<Dismissal> {
    const [row]: DismissalRow[] = await this.db.query(
      `WITH gone AS (DELETE FROM near_duplicate_dismissals WHERE id = $1 RETURNING *)
       SELECT ${COLUMNS} FROM gone d ${JOINS}`,
      [id],
    );
    if (!row) throw notFound('near-duplicate dismissal', id);
    return toDismissal(row);
  }
}

function toDismissal(row: DismissalRow): Dismissal {
  return { id: row.id, idA: row.qa_pair_a, idB: row.qa_pair_b, reason: row.reason, dismissedAt: row.dismissed_at, current: row.current };
}
