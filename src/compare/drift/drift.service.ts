import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { EmbeddingModelsService } from '../../embeddings/embedding-models.service';
import { chooseModel } from '../pair-comparison/model-choice';
import { BackgroundRuns } from '../runs/background-runs';
import { type CompareRunOf, CompareRuns, type RunRequester } from '../runs/compare-runs';
import { DriftCheck, type DriftParameters } from './drift-check';
import { DriftReports } from './drift-reports';
import type { DriftStatistics } from './drift-statistics';

export const DEFAULT_DRIFT_SAMPLE_SIZE = 100;

export interface DriftOptions {
  sampleSize?: number;
  /** Model name; by default the active model. */
  model?: string;
  /** Lowest acceptable cosine between a fresh and a stored vector; default DRIFT_TOLERANCE. */
  tolerance?: number;
}

/** The outcome of a drift check: its statistics, for which model, what it cost and when. */
export interface DriftReport extends DriftStatistics {
  /** The drift check (run) id. */
  id: string;
  model: string;
  requestedSampleSize: number;
  tokens: number;
  checkedAt: Date;
}

export interface DriftCheckView {
  run: CompareRunOf<'drift_check'>;
  /** Set once the check completed. */
  report: DriftReport | null;
}

/** Drift checks: queued from the API, run in-process by the canary, read back from Postgres. */
@Injectable()
export class DriftService {
  constructor(
    private readonly models: EmbeddingModelsService,
    private readonly runs: CompareRuns,
    private readonly background: BackgroundRuns,
    private readonly check: DriftCheck,
    private readonly reports: DriftReports,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Runs a drift check in this process and returns its report (stored like any other).
   * Throws if the check failed (the provider was unavailable, say); the failure is stored too.
   */
  async detectEmbeddingDrift(
    options: DriftOptions = {},
    requestedBy: RunRequester = 'api',
    signal = new AbortController().signal,
  ): Promise<DriftReport> {
    const model = await chooseModel(this.models, options.model);
    const run = await this.runs.create('drift_check', model.id, this.parameters(options), requestedBy);
    const status = await this.background.execute(
      'drift_check',
      run.id,
      run.attempt,
      (claimed, report, s) => this.check.run(claimed, report, s),
      signal,
    );
    const view = await this.view(run.id);
    if (status !== 'completed' || !view.report) throw new Error(`drift check ${run.id} ${view.run.status}: ${view.run.error ?? 'no report'}`);
    return view.report;
  }

  /** Queues a drift check for a worker. */
  async start(options: DriftOptions): Promise<DriftCheckView> {
    const model = await chooseModel(this.models, options.model);
    const run = await this.background.start('drift_check', model.id, this.parameters(options));
    return { run, report: null };
  }

  async view(id: string): Promise<DriftCheckView> {
    const run = await this.background.view(id, 'drift_check');
    return (await this.withReports([run]))[0];
  }

  async list(limit: number, offset: number): Promise<{ total: number; items: DriftCheckView[] }> {
    const page = await this.background.list('drift_check', limit, offset);
    return { total: page.total, items: await this.withReports(page.items) };
  }

  async retry(id: string): Promise<DriftCheckView> {
    return { run: await this.background.retry(id, 'drift_check'), report: null };
  }

  private parameters(options: DriftOptions): DriftParameters {
    return {
      sampleSize: options.sampleSize ?? DEFAULT_DRIFT_SAMPLE_SIZE,
      tolerance: options.tolerance ?? this.config.compare.drift.tolerance,
    };
  }

  private async withReports(runs: Array<CompareRunOf<'drift_check'>>): Promise<DriftCheckView[]> {
    const reports = await this.reports.forRuns(runs.map((run) => run.id));
    return runs.map((run) => {
      const stored = reports.get(run.id);
      if (!stored) return { run, report: null };
      const { runId, ...statistics } = stored;
      return { run, report: { ...statistics, id: runId, model: run.model, requestedSampleSize: run.parameters.sampleSize } };
    });
  }
}
