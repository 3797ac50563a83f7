import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { conflict, unavailable } from '../../common/errors';
import { CompareQueue } from './compare-queue';
import { type CompareRun, type CompareRunOf, CompareRuns, type RunKind, type RunParameters, type RunStatus, type RunSummary } from './compare-runs';
import { type ReportProgress, RunProgress } from './run-progress';
import { effectiveStatus, queuedLongEnough } from './run-status';

/** What a finished run leaves: a summary on the run, and its results written with the completion. */
export interface RunOutcome<K extends RunKind> {
  summary: RunSummary<K>;
  write?: (tx: EntityManager) => Promise<void>;
}

/** The work of one kind of run. */
export type RunBody<K extends RunKind> = (run: CompareRunOf<K>, report: ReportProgress, signal: AbortSignal) => Promise<RunOutcome<K>>;

const RETRY_AFTER_MS = 5_000;

/**
 * Background runs of the comparison tools (near-duplicate scans, drift checks): started
 * through the `compare` queue, executed by a worker, followed by polling. Postgres holds
 * every run, so one whose worker or job was lost reads as `interrupted` and can be retried.
 */
@Injectable()
export class BackgroundRuns {
  private readonly logger = new Logger(BackgroundRuns.name);

  constructor(
    private readonly runs: CompareRuns,
    private readonly queue: CompareQueue,
  ) {}

  /** Stores a queued run and its job. */
  async start<K extends RunKind>(kind: K, modelId: number, parameters: RunParameters<K>): Promise<CompareRunOf<K>> {
    return this.enqueue(await this.runs.create(kind, modelId, parameters, 'api'));
  }

  /** The run as it is now: a run whose worker or job was lost reads as interrupted. */
  async view<K extends RunKind>(id: string, kind: K): Promise<CompareRunOf<K>> {
    return this.withEffectiveStatus(await this.runs.get(id, kind));
  }

  async list<K extends RunKind>(kind: K, limit: number, offset: number): Promise<{ total: number; items: Array<CompareRunOf<K>> }> {
    const page = await this.runs.list(kind, limit, offset);
    return { total: page.total, items: await Promise.all(page.items.map((run) => this.withEffectiveStatus(run))) };
  }

  /** Runs a failed or interrupted run again, as a new attempt (an older attempt's job then changes nothing). */
  async retry<K extends RunKind>(id: string, kind: K): Promise<CompareRunOf<K>> {
    const stored = await this.runs.get(id, kind);
    const { status } = await this.withEffectiveStatus(stored);
    if (status !== 'failed' && status !== 'interrupted') {
      throw conflict(`the run is ${status}; only a failed or interrupted run can be retried`, { id, status });
    }
    const next = await this.runs.nextAttempt(kind, stored);
    if (!next) throw conflict('the run changed meanwhile; read it again', { id });
    return this.enqueue(next);
  }

  /**
   * Executes one attempt in this process: claims it, runs `body` with progress written
   * every second, and stores the outcome with the completion in one transaction. Returns
   * the status it ended in, or null if the attempt was not this process's to run (nor a run of that kind).
   */
  async execute<K extends RunKind>(kind: K, id: string, attempt: number, body: RunBody<K>, signal: AbortSignal): Promise<RunStatus | null> {
    const run = await this.runs.claim(kind, id, attempt);
    if (!run) return null;
    const progress = new RunProgress(
      (fraction, phase) => this.runs.reportProgress(id, attempt, fraction, phase),
      (error) => this.logger.warn({ err: error, runId: id }, 'could not write run progress'),
    );
    progress.start();
    try {
      const outcome = await body(run, progress.report, signal);
      await progress.stop();
      const completed = await this.runs.transaction(async (tx) => {
        if (!(await this.runs.complete(tx, id, attempt, outcome.summary))) return false;
        await outcome.write?.(tx);
        return true;
      });
      return completed ? 'completed' : null;
    } catch (error) {
      await progress.stop();
      const status = signal.aborted ? 'interrupted' : 'failed';
      const message = error instanceof Error ? error.message : String(error);
      this.logger.warn({ err: error, runId: id, kind: run.kind }, `${run.kind} ${status}`);
      await this.runs.fail(id, attempt, status, status === 'interrupted' ? `stopped: ${message}; retry it` : message);
      return status;
    }
  }

  private async enqueue<R extends CompareRun>(run: R): Promise<R> {
    try {
      await this.queue.enqueue(run.kind, { runId: run.id, attempt: run.attempt });
    } catch (error) {
      const message = `could not queue the run: ${error instanceof Error ? error.message : String(error)}`;
      await this.runs.fail(run.id, run.attempt, 'interrupted', message);
      throw unavailable(`${message}; it is stored as interrupted (id ${run.id}) and can be retried`, RETRY_AFTER_MS);
    }
    return run;
  }

  private async withEffectiveStatus<R extends CompareRun>(run: R): Promise<R> {
    const now = new Date();
    let jobQueued: boolean | undefined;
    if (queuedLongEnough(run, now)) {
      jobQueued = await this.queue.holds({ runId: run.id, attempt: run.attempt }).catch(() => undefined);
    }
    return { ...run, ...effectiveStatus(run, now, jobQueued) };
  }
}
