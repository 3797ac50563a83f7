import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { notFound } from '../../common/errors';

export type RunKind = 'near_duplicate_scan' | 'drift_check';
export type RunStatus = 'queued' | 'running' | 'completed' | 'failed' | 'interrupted';
export type RunRequester = 'api' | 'canary';

/** A background run as stored (compare_runs); `status` is what was last written. */
export interface CompareRun {
  id: string;
  kind: RunKind;
  modelId: number;
  model: string;
  status: RunStatus;
  attempt: number;
  requestedBy: RunRequester;
  parameters: Record<string, unknown>;
  progress: number;
  phase: string | null;
  summary: Record<string, unknown> | null;
  error: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  heartbeatAt: Date;
}

interface RunRow {
  id: string;
  kind: RunKind;
  model_id: number;
  model: string;
  status: RunStatus;
  attempt: number;
  requested_by: RunRequester;
  parameters: Record<string, unknown>;
  progress: number;
  phase: string | null;
  summary: Record<string, unknown> | null;
  error: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  heartbeat_at: Date;
}

/** TypeORM answers an UPDATE … RETURNING with the rows and the affected count. */
type UpdateResult<Row> = [Row[], number];

const COLUMNS = `r.id, r.kind, r.model_id, m.name AS model, r.status, r.attempt, r.requested_by, r.parameters,
  r.progress, r.phase, r.summary, r.error, r.created_at, r.started_at, r.finished_at, r.heartbeat_at`;

/**
 * The compare_runs table: a background run's lifecycle. Every write after `claim` names
 * the attempt, so a job of an attempt that was retried meanwhile changes nothing.
 */
@Injectable()
export class CompareRuns {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async create(kind: RunKind, modelId: number, parameters: Record<string, unknown>, requestedBy: RunRequester): Promise<CompareRun> {
    const [row]: Array<{ id: string }> = await this.db.query(
      `INSERT INTO compare_runs (kind, model_id, status, requested_by, parameters) VALUES ($1, $2, 'queued', $3, $4) RETURNING id`,
      [kind, modelId, requestedBy, JSON.stringify(parameters)],
    );
    return this.get(row.id, kind);
  }

  /** The run of that kind; 404 if there is none. */
  async get(id: string, kind: RunKind): Promise<CompareRun> {
    const rows: RunRow[] = await this.db.query(
      `SELECT ${COLUMNS} FROM compare_runs r JOIN embedding_models m ON m.id = r.model_id WHERE r.id = $1 AND r.kind = $2`,
      [id, kind],
    );
    if (rows.length === 0) throw notFound(kind === 'drift_check' ? 'drift check' : 'near-duplicate scan', id);
    return toRun(rows[0]);
  }

  /** Newest first. */
  async list(kind: RunKind, limit: number, offset: number): Promise<{ total: number; items: CompareRun[] }> {
    const [rows, [count]]: [RunRow[], Array<{ n: string }>] = await Promise.all([
      this.db.query(
        `SELECT ${COLUMNS} FROM compare_runs r JOIN embedding_models m ON m.id = r.model_id
         WHERE r.kind = $1 ORDER BY r.created_at DESC, r.id LIMIT $2 OFFSET $3`,
        [kind, limit, offset],
      ),
      this.db.query(`SELECT count(*) AS n FROM compare_runs WHERE kind = $1`, [kind]),
    ]);
    return { total: Number(count.n), items: rows.map(toRun) };
  }

  /**
   * Marks the attempt running, if it is still the run's current attempt and not finished
   * (a job Bull re-runs after its worker was lost finds it `running` and takes it over).
   */
  async claim(id: string, attempt: number): Promise<CompareRun | null> {
    const [rows]: UpdateResult<{ id: string; kind: RunKind }> = await this.db.query(
      `UPDATE compare_runs SET status = 'running', started_at = now(), heartbeat_at = now(), progress = 0, phase = 'starting', error = NULL
       WHERE id = $1 AND attempt = $2 AND status IN ('queued', 'running') RETURNING id, kind`,
      [id, attempt],
    );
    return rows.length === 0 ? null : this.get(rows[0].id, rows[0].kind);
  }

  async reportProgress(id: string, attempt: number, progress: number, phase: string): Promise<void> {
    await this.db.query(
      `UPDATE compare_runs SET progress = $3, phase = $4, heartbeat_at = now() WHERE id = $1 AND attempt = $2 AND status = 'running'`,
      [id, attempt, Math.min(1, Math.max(0, progress)), phase],
    );
  }

  /** Returns false (and writes nothing) if the attempt is no longer the running one. */
  async complete(tx: EntityManager, id: string, attempt: number, summary: Record<string, unknown>): Promise<boolean> {
    const [rows]: UpdateResult<{ id: string }> = await tx.query(
      `UPDATE compare_runs SET status = 'completed', progress = 1, phase = 'done', summary = $3, finished_at = now(), heartbeat_at = now()
       WHERE id = $1 AND attempt = $2 AND status = 'running' RETURNING id`,
      [id, attempt, JSON.stringify(summary)],
    );
    return rows.length > 0;
  }

  async fail(id: string, attempt: number, status: 'failed' | 'interrupted', error: string): Promise<void> {
    await this.db.query(
      `UPDATE compare_runs SET status = $3, error = $4, finished_at = now(), heartbeat_at = now()
       WHERE id = $1 AND attempt = $2 AND status IN ('queued', 'running')`,
      [id, attempt, status, error],
    );
  }

  /**
   * Starts the next attempt of a run: queued again, progress and results cleared. Null if
   * the run moved on meanwhile (another retry, or its attempt finished).
   */
  async nextAttempt(run: CompareRun): Promise<CompareRun | null> {
    const moved = await this.db.transaction(async (tx) => {
      const [rows]: UpdateResult<{ id: string }> = await tx.query(
        `UPDATE compare_runs SET status = 'queued', attempt = attempt + 1, progress = 0, phase = NULL, summary = NULL, error = NULL,
                started_at = NULL, finished_at = NULL, heartbeat_at = now()
         WHERE id = $1 AND attempt = $2 AND status = $3 RETURNING id`,
        [run.id, run.attempt, run.status],
      );
      if (rows.length === 0) return false;
      await tx.query(`DELETE FROM near_duplicate_scan_pairs WHERE run_id = $1`, [run.id]);
      await tx.query(`DELETE FROM near_duplicate_scan_clusters WHERE run_id = $1`, [run.id]);
      await tx.query(`DELETE FROM drift_reports WHERE run_id = $1`, [run.id]);
      return true;
    });
    return moved ? this.get(run.id, run.kind) : null;
  }

  transaction<T>(fn: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(fn);
  }
}

function toRun(row: RunRow): CompareRun {
  return {
    id: row.id,
    kind: row.kind,
    modelId: row.model_id,
    model: row.model,
    status: row.status,
    attempt: row.attempt,
    requestedBy: row.requested_by,
    parameters: row.parameters,
    progress: Number(row.progress),
    phase: row.phase,
    summary: row.summary,
    error: row.error,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    heartbeatAt: row.heartbeat_at,
  };
}
