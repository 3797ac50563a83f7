import type { AgreementScores, RetrievalScores } from './evaluation-scores';

/** What an evaluation will read and spend, before it runs. */
export interface EvaluationEstimate {
  model: string;
  /** The active model the captured queries are compared with; null when `model` is the active one. */
  baselineModel: string | null;
  labelledQueries: number;
  capturedQueries: number;
  /** Query tokens to embed: labelled ones under the model, captured ones under both models. */
  tokens: number;
  costUsd: string;
  warnings: string[];
}

export interface EvaluationResults {
  /** Recall@1/5/10, MRR@10, nDCG@10 on the labelled queries; null without any. */
  labelled: { overall: RetrievalScores; byCategory: Record<string, RetrievalScores> } | null;
  /** Top-10 overlap and rank-biased overlap with the baseline on captured queries; null without a baseline or captures. */
  captured: { overall: AgreementScores; byCategory: Record<string, AgreementScores> } | null;
  tokens: number;
  durationMs: number;
}

export type EvaluationStatus = 'running' | 'completed' | 'failed' | 'interrupted';

export interface Evaluation {
  id: string;
  model: string;
  baselineModel: string | null;
  migrationId: string | null;
  status: EvaluationStatus;
  labelledQueries: number;
  capturedQueries: number;
  /** 0–1 while running. */
  progress: number;
  results: EvaluationResults | null;
  error: string | null;
  createdAt: Date;
  finishedAt: Date | null;
}
