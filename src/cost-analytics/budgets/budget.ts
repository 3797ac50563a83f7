import type { PeriodUnit } from '../reports/local-calendar';

export const BUDGET_PERIODS = ['daily', 'weekly', 'monthly'] as const;
export type BudgetPeriod = (typeof BUDGET_PERIODS)[number];

/** Daily = local day, weekly = ISO week (Monday first), monthly = calendar month, in the budget's time zone. */
export const PERIOD_UNIT: Record<BudgetPeriod, PeriodUnit> = { daily: 'day', weekly: 'week', monthly: 'month' };

export const DEFAULT_THRESHOLDS_PERCENT = [50, 80, 100];

export interface Budget {
  id: string;
  name: string;
  period: BudgetPeriod;
  limitUsd: string;
  thresholdsPercent: number[];
  category: string | null;
  modelId: number | null;
  model: string | null;
  timeZone: string;
  hardCap: boolean;
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}
