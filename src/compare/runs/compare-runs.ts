import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { notFound } from '../../common/errors';
import type { DriftParameters, DriftSummary } from '../drift/drift-check';
import type { ScanParameters, ScanSummary } from '../near-duplicates/near-duplicate-scan';
import { readPage } from '../../database/read-page';

/**
 * Every kind of background run, with what it is asked for and what it leaves: the JSON
 * columns `parameters` and `summary` of compare_runs. A kind added here must be given a
 * name, result tables (below) and a handler (CompareQueueConsumer) before anything compiles.
 */
interface RunShapes {
  near_duplicate_scan: { parameters: ScanParameters; summary: ScanSummary };
  drift_check: { parameters: DriftParameters; summary: DriftSummary };
}

export type RunKind = keyof RunShapes;
export type RunParameters<K extends RunKind> = RunShapes[K]['parameters'];
export type RunSummary<K extends RunKind> = RunShapes[K]['summary'];
export type RunStatus = 'queued' | 'running' | 'completed' | 'failed' | 'interrupted';
export type RunRequester = 'api' | 'canary';

/** How an error message names a run of each kind. */
const RUN_KIND_NAMES: Record<RunKind, string> = {
  near_duplicate_scan: 'near-duplicate scan',
  drift_check: 'drift check',
};

/** Every run kind (the keys of a Record over RunKind, so none is missing). */
export const RUN_KINDS = Object.keys(RUN_KIND_NAMES) as RunKind[];

/** The tables a kind stores its results in (by run_id): cleared when a run is retried. */
const RESULT_TABLES: Record<RunKind, readonly string[]> = {
  near_duplicate_scan: ['near_duplicate_scan_pairs', 'near_duplicate_scan_clusters'],
  drift_check: ['drift_reports'],
};

/**
 * A background run of kind K as stored (compare_runs); `status` is what was last written.
 * Distributes over a union of kinds, so `CompareRun` narrows by `kind`.
 */
export type CompareRunOf<K extends RunKind> = K extends RunKind
  ? {
      id: string;
      kind: K;
      modelId: number;
      model: string;
      status: RunStatus;
      attempt: number;
      requestedBy: RunRequester;
      parameters: RunParameters<K>;
      progress: number;
      phase: string | null;
      summary: RunSummary<K> | null;
      error: string | null;
      createdAt: Date;
      startedAt: Date | null;
      finishedAt: Date | null;
      heartbeatAt: Date;
    }
  : never;

export type CompareRun = CompareRunOf<RunKind>;

/** TypeORM answers an UPDATE … RETURNING with the rows and the affected count. */
type UpdateResult<Row> = [Row[], number];

/** Read as CompareRun's fields (pg returns `real` as a number and jsonb parsed). */
const COLUMNS = `r.id, r.kind, r.model_id AS "modelId", m.name AS model, r.status, r.attempt, r.requested_by AS "requestedBy",
  r.parameters, r.progress, r.phase, r.summary, r.error, r.created_at AS "createdAt", r.started_at AS "startedAt",
  r.finished_at AS "finishedAt", r.heartbeat_at AS "heartbeatAt"`;

/**
 * The compare_runs table: a background run's lifecycle. Every write after `claim` names
 * the attempt, so a job of an attempt that was retried meanwhile changes nothing.
 */
@Injectable()
export class CompareRuns {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async create<K extends RunKind>(kind: K, modelId: number, parameters: RunParameters<K>, requestedBy: RunRequester): Promise<CompareRunOf<K>> {
    const [row]: Array<{ id: string }> = await this.db.query(
      `INSERT INTO compare_runs (kind, model_id, status, requested_by, parameters) VALUES ($1, $2, 'queued', $3, $4) RETURNING id`,
      [kind, modelId, requestedBy, JSON.stringify(parameters)],
    );
    return this.get(row.id, kind);
  }

  /** The run of that kind; 404 if there is none. */
  async get<K extends RunKind>(id: string, kind: K): Promise<CompareRunOf<K>> {
    const rows: Array<CompareRunOf<K>> = await this.db.query(
      `SELECT ${COLUMNS} FROM compare_runs r JOIN embedding_models m ON m.id = r.model_id WHERE r.id = $1 AND r.kind = $2`,
      [id, kind],
    );
    if (rows.length === 0) throw notFound(RUN_KIND_NAMES[kind], id);
    return rows[0];
  }

  /** Newest first. */
  async list<K extends RunKind>(kind: K, limit: number, offset: number): Promise<{ total: number; items: Array<CompareRunOf<K>> }> {
    const { rows, total } = await readPage<CompareRunOf<K>>(
      this.db,
      {
        sql: `SELECT ${COLUMNS} FROM compare_runs r JOIN embedding_models m ON m.id = r.model_id
              WHERE r.kind = $1 ORDER BY r.created_at DESC, r.id LIMIT $2 OFFSET $3`,
        params: [kind, limit, offset],
      },
      { sql: `SELECT count(*) AS n FROM compare_runs WHERE kind = $1`, params: [kind] },
    );
    return { total, items: rows };
  }

  /**
   * Marks the attempt running, if it is still the run's current attempt and not finished
   * (a job Bull re-runs after its worker was lost finds it `running` and takes it over).
   */
  async claim<K extends RunKind>(kind: K, id: string, attempt: number): Promise<CompareRunOf<K> | null> {
    const [rows]: UpdateResult<{ id: string }> = await this.db.query(
      `UPDATE compare_runs SET status = 'running', started_at = now(), heartbeat_at = now(), progress = 0, phase = 'starting', error = NULL
       WHERE id = $1 AND attempt = $2 AND kind = $3 AND status IN ('queued', 'running') RETURNING id`,
      [id, attempt, kind],
    );
    return rows.length === 0 ? null : this.get(id, kind);
  }

  async reportProgress(id: string, attempt: number, progress: number, phase: string): Promise<void> {
    await this.db.query(
      `UPDATE compare_runs SET progress = $3, phase = $4, heartbeat_at = now() WHERE id = $1 AND attempt = $2 AND status = 'running'`,
      [id, attempt, Math.min(1, Math.max(0, progress)), phase],
    );
  }

  /** Returns false (and writes nothing) if the attempt is no longer the running one. */
  async complete<K extends RunKind>(tx: EntityManager, id: string, attempt: number, summary: RunSummary<K>): Promise<boolean> {
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
  async nextAttempt<K extends RunKind>(kind: K, run: CompareRunOf<K>): Promise<CompareRunOf<K> | null> {
    const moved = await this.db.transaction(async (tx) => {
      const [rows]: UpdateResult<{ id: string }> = await tx.query(
        `UPDATE compare_runs SET status = 'queued', attempt = attempt + 1, progress = 0, phase = NULL, summary = NULL, error = NULL,
                started_at = NULL, finished_at = NULL, heartbeat_at = now()
         WHERE id = $1 AND attempt = $2 AND status = $3 RETURNING id`,
        [run.id, run.attempt, run.status],
      );
      if (rows.length === 0) return false;
      for (const table of RESULT_TABLES[kind]) await tx.query(`DELETE FROM ${table} WHERE run_id = $1`, [run.id]);
      return true;
    });
    return moved ? this.get(run.id, kind) : null;
  }

  transaction<T>(fn: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(fn);
  }
}
