import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { notFound } from '../common/errors';
import { readPage } from '../database/read-page';
import type { Evaluation, EvaluationResults, EvaluationStatus } from './evaluation-types';

/** A running evaluation writes its progress every second: silent this long, its process is gone. */
const SILENT_MS = 60_000;

interface Row {
  id: string;
  model: string;
  baseline_model: string | null;
  migration_id: string | null;
  status: 'running' | 'completed' | 'failed';
  labelled_queries: number;
  captured_queries: number;
  progress: number;
  results: EvaluationResults | null;
  error: string | null;
  created_at: Date;
  updated_at: Date;
  finished_at: Date | null;
}

const SELECT = `
  SELECT r.*, m.name AS model, b.name AS baseline_model
  FROM retrieval_evaluations r
  JOIN embedding_models m ON m.id = r.model_id
  LEFT JOIN embedding_models b ON b.id = r.baseline_model_id`;

/** The `retrieval_evaluations` table: every evaluation, its progress and its figures. */
@Injectable()
export class RetrievalEvaluations {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async create(input: {
    modelId: number;
    baselineModelId: number | null;
    migrationId: string | null;
    labelled: number;
    captured: number;
  }): Promise<string> {
    const [row]: Array<{ id: string }> = await this.db.query(
      `INSERT INTO retrieval_evaluations (model_id, baseline_model_id, migration_id, status, labelled_queries, captured_queries)
       VALUES ($1, $2, $3, 'running', $4, $5) RETURNING id`,
      [input.modelId, input.baselineModelId, input.migrationId, input.labelled, input.captured],
    );
    return row.id;
  }

  async progress(id: string, fraction: number): Promise<void> {
    await this.db.query(`UPDATE retrieval_evaluations SET progress = $2, updated_at = now() WHERE id = $1 AND status = 'running'`, [id, fraction]);
  }

  async complete(id: string, results: EvaluationResults): Promise<void> {
    await this.db.query(
      `UPDATE retrieval_evaluations SET status = 'completed', progress = 1, results = $2, updated_at = now(), finished_at = now() WHERE id = $1`,
      [id, JSON.stringify(results)],
    );
  }

  async fail(id: string, error: string): Promise<void> {
    await this.db.query(`UPDATE retrieval_evaluations SET status = 'failed', error = $2, updated_at = now(), finished_at = now() WHERE id = $1`, [
      id,
      error,
    ]);
  }

  async get(id: string): Promise<Evaluation> {
    const [row]: Row[] = await this.db.query(`${SELECT} WHERE r.id = $1`, [id]);
    if (!row) throw notFound('evaluation', id);
    return toEvaluation(row);
  }

  async list(limit: number, offset: number): Promise<{ total: number; items: Evaluation[] }> {
    const page = await readPage<Row>(
      this.db,
      { sql: `${SELECT} ORDER BY r.created_at DESC, r.id LIMIT $1 OFFSET $2`, params: [limit, offset] },
      { sql: `SELECT count(*) FROM retrieval_evaluations` },
    );
    return { total: page.total, items: page.rows.map(toEvaluation) };
  }

  /** When the latest evaluation made for a migration failed, if the latest did fail. */
  async lastFailureFor(migrationId: string): Promise<Date | null> {
    const [row]: Array<{ status: string; finished_at: Date | null }> = await this.db.query(
      `SELECT status, finished_at FROM retrieval_evaluations WHERE migration_id = $1 ORDER BY created_at DESC LIMIT 1`,
      [migrationId],
    );
    return row?.status === 'failed' ? row.finished_at : null;
  }

  /** The latest completed evaluation of `modelId` made for a migration, so a retried gate does not pay twice. */
  async completedFor(migrationId: string, modelId: number): Promise<Evaluation | null> {
    const [row]: Row[] = await this.db.query(
      `${SELECT} WHERE r.migration_id = $1 AND r.model_id = $2 AND r.status = 'completed' ORDER BY r.finished_at DESC LIMIT 1`,
      [migrationId, modelId],
    );
    return row ? toEvaluation(row) : null;
  }
}

function toEvaluation(row: Row): Evaluation {
  const silent = row.status === 'running' && Date.now() - new Date(row.updated_at).getTime() > SILENT_MS;
  const status: EvaluationStatus = silent ? 'interrupted' : row.status;
  return {
    id: row.id,
    model: row.model,
    baselineModel: row.baseline_model,
    migrationId: row.migration_id,
    status,
    labelledQueries: row.labelled_queries,
    capturedQueries: row.captured_queries,
    progress: row.progress,
    results: row.results,
    error: silent ? 'the process running it stopped; start a new evaluation' : row.error,
    createdAt: row.created_at,
    finishedAt: row.finished_at,
  };
}
