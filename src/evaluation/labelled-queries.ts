import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { type FieldProblem, invalidFields, notFound } from '../common/errors';
import { readPage } from '../database/read-page';
import { UNCATEGORISED } from './evaluation-scores';
import type { LabelledQueryInput } from './labelled-query-import';

export interface LabelledQuery {
  id: string;
  query: string;
  /** As given, or null: an evaluation then groups it under its first answer's category. */
  category: string | null;
  relevantPairIds: string[];
  createdAt: Date;
}

/** A labelled query as an evaluation reads it: its category resolved, only answers that still exist. */
export interface EvaluationQuery {
  query: string;
  category: string;
  relevantPairIds: string[];
}

interface Row {
  id: string;
  query: string;
  category: string | null;
  relevant_pair_ids: string[] | null;
  created_at: Date;
}

/**
 * The `evaluation_queries` and `evaluation_query_answers` tables: labelled queries, one per
 * query text (adding a text again replaces its answers). A QA pair's deletion removes it
 * from every answer list (ON DELETE CASCADE); a query left without answers is not evaluated.
 */
@Injectable()
export class LabelledQueries {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Adds or replaces labelled queries, all or none. Relevant ids that name no QA pair fail
   * the lot, each problem placed by `where` (a field, or an import file's line).
   */
  async upsert(items: LabelledQueryInput[], where: (index: number, problem: string) => FieldProblem): Promise<string[]> {
    return this.db.transaction(async (tx) => {
      const ids = [...new Set(items.flatMap((item) => item.relevantPairIds))];
      const found: Array<{ id: string }> = await tx.query(`SELECT id FROM qa_pairs WHERE id = ANY($1::uuid[]) FOR KEY SHARE`, [ids]);
      const existing = new Set(found.map((row) => row.id));
      const problems = items.flatMap((item, index) => {
        const missing = item.relevantPairIds.filter((id) => !existing.has(id));
        return missing.length ? [where(index, `no QA pair with id ${missing.join(', ')}`)] : [];
      });
      if (problems.length > 0) throw invalidFields(problems.slice(0, 20));
      const rows: Array<{ id: string; query: string }> = await tx.query(
        `INSERT INTO evaluation_queries (query, category)
         SELECT * FROM unnest($1::text[], $2::text[])
         ON CONFLICT ((md5(query))) DO UPDATE SET category = EXCLUDED.category
         RETURNING id, query`,
        [items.map((item) => item.query), items.map((item) => item.category ?? null)],
      );
      const idByQuery = new Map(rows.map((row) => [row.query, row.id]));
      const queryIds = items.map((item) => idByQuery.get(item.query)!);
      await tx.query(`DELETE FROM evaluation_query_answers WHERE query_id = ANY($1::uuid[])`, [queryIds]);
      const answers = items.flatMap((item, index) => item.relevantPairIds.map((pairId) => [queryIds[index], pairId]));
      await tx.query(
        `INSERT INTO evaluation_query_answers (query_id, qa_pair_id) SELECT * FROM unnest($1::uuid[], $2::uuid[]) ON CONFLICT DO NOTHING`,
        [answers.map((answer) => answer[0]), answers.map((answer) => answer[1])],
      );
      return queryIds;
    });
  }

  async get(id: string): Promise<LabelledQuery> {
    const [row]: Row[] = await this.db.query(`${SELECT} WHERE q.id = $1`, [id]);
    if (!row) throw notFound('labelled query', id);
    return toLabelledQuery(row);
  }

  async list(limit: number, offset: number): Promise<{ total: number; items: LabelledQuery[] }> {
    const page = await readPage<Row>(
      this.db,
      { sql: `${SELECT} ORDER BY q.created_at DESC, q.id LIMIT $1 OFFSET $2`, params: [limit, offset] },
      { sql: `SELECT count(*) FROM evaluation_queries` },
    );
    return { total: page.total, items: page.rows.map(toLabelledQuery) };
  }

  async delete(id: string): Promise<void> {
    const [, deleted] = (await this.db.query(`DELETE FROM evaluation_queries WHERE id = $1`, [id])) as [unknown, number];
    if (!deleted) throw notFound('labelled query', id);
  }

  /** How many queries an evaluation would run (those with at least one answer left), and their texts for the estimate. */
  async forEvaluation(max: number): Promise<EvaluationQuery[]> {
    const rows: Array<{ query: string; category: string | null; relevant_pair_ids: string[] }> = await this.db.query(
      `SELECT q.query,
              coalesce(q.category, (SELECT p.category FROM qa_pairs p WHERE p.id = a.ids[1])) AS category,
              a.ids AS relevant_pair_ids
       FROM evaluation_queries q
       JOIN LATERAL (SELECT array_agg(qa_pair_id ORDER BY qa_pair_id) AS ids FROM evaluation_query_answers WHERE query_id = q.id) a ON a.ids IS NOT NULL
       ORDER BY q.created_at, q.id
       LIMIT $1`,
      [max],
    );
    return rows.map((row) => ({ query: row.query, category: row.category ?? UNCATEGORISED, relevantPairIds: row.relevant_pair_ids }));
  }
}

const SELECT = `
  SELECT q.id, q.query, q.category, q.created_at,
         (SELECT array_agg(qa_pair_id ORDER BY qa_pair_id) FROM evaluation_query_answers WHERE query_id = q.id) AS relevant_pair_ids
  FROM evaluation_queries q`;

function toLabelledQuery(row: Row): LabelledQuery {
  return { id: row.id, query: row.query, category: row.category, relevantPairIds: row.relevant_pair_ids ?? [], createdAt: row.created_at };
}
