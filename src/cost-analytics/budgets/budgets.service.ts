import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { conflict, notFound } from '../../common/errors';
import { INVALID_PARAMETER_VALUE, pgErrorCode, UNIQUE_VIOLATION } from '../../common/pg-errors';
import { knownModel } from '../known-model';
import { formatUsd } from '../money';
import { unknownTimeZone } from '../reports/local-calendar';
import { parseTimeZone } from '../reports/local-date';
import { type Budget, type BudgetPeriod, DEFAULT_THRESHOLDS_PERCENT } from './budget';

export interface CreateBudgetInput {
  name: string;
  period: BudgetPeriod;
  limitUsd: string;
  thresholdsPercent?: number[];
  category?: string;
  model?: string;
  timeZone?: string;
  hardCap?: boolean;
}

export type UpdateBudgetInput = Partial<Pick<Budget, 'name' | 'limitUsd' | 'thresholdsPercent' | 'hardCap' | 'enabled'>>;

const BUDGET_COLUMNS = `b.id, b.name, b.period, b.limit_usd::text AS limit_usd, b.thresholds_percent, b.category, b.model_id,
  m.name AS model, b.time_zone, b.hard_cap, b.enabled, b.created_at, b.updated_at`;

interface BudgetRow {
  id: string;
  name: string;
  period: BudgetPeriod;
  limit_usd: string;
  thresholds_percent: number[];
  category: string | null;
  model_id: number | null;
  model: string | null;
  time_zone: string;
  hard_cap: boolean;
  enabled: boolean;
  created_at: Date;
  updated_at: Date;
}

function toBudget(row: BudgetRow): Budget {
  return {
    id: row.id,
    name: row.name,
    period: row.period,
    limitUsd: formatUsd(row.limit_usd),
    thresholdsPercent: row.thresholds_percent,
    category: row.category,
    modelId: row.model_id,
    model: row.model,
    timeZone: row.time_zone,
    hardCap: row.hard_cap,
    enabled: row.enabled,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Budgets: a USD limit per day, ISO week or month, optionally for one category and/or model. */
@Injectable()
export class BudgetsService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async list(filter: { enabledOnly?: boolean; hardCapOnly?: boolean } = {}): Promise<Budget[]> {
    const rows: BudgetRow[] = await this.db.query(
      `SELECT ${BUDGET_COLUMNS} FROM cost_budgets b LEFT JOIN embedding_models m ON m.id = b.model_id
       WHERE ($1::boolean IS NOT TRUE OR b.enabled) AND ($2::boolean IS NOT TRUE OR b.hard_cap)
       ORDER BY b.created_at, b.id`,
      [filter.enabledOnly ?? false, filter.hardCapOnly ?? false],
    );
    return rows.map(toBudget);
  }

  async get(id: string): Promise<Budget> {
    const [row]: BudgetRow[] = await this.db.query(
      `SELECT ${BUDGET_COLUMNS} FROM cost_budgets b LEFT JOIN embedding_models m ON m.id = b.model_id WHERE b.id = $1`,
      [id],
    );
    if (!row) throw notFound('budget', id);
    return toBudget(row);
  }

  async create(input: CreateBudgetInput): Promise<Budget> {
    const timeZone = parseTimeZone('timeZone', input.timeZone ?? 'UTC');
    const modelId = input.model === undefined ? null : (await knownModel(this.db, input.model)).id;
    const thresholds = [...(input.thresholdsPercent ?? DEFAULT_THRESHOLDS_PERCENT)].sort((a, b) => a - b);
    const [{ id }] = await this.unique(input.name, () =>
      this.db.query(
        `INSERT INTO cost_budgets (name, period, limit_usd, thresholds_percent, category, model_id, time_zone, hard_cap)
         -- Makes PostgreSQL, which will cut the periods, refuse a zone it does not know (22023).
         SELECT $1, $2, $3, $4, $5, $6, $7, $8 WHERE now() AT TIME ZONE $7 IS NOT NULL
         RETURNING id`,
        [input.name, input.period, input.limitUsd, thresholds, input.category ?? null, modelId, timeZone, input.hardCap ?? false],
      ),
    );
    return this.get(id);
  }

  async update(id: string, patch: UpdateBudgetInput): Promise<Budget> {
    const thresholds = patch.thresholdsPercent ? [...patch.thresholdsPercent].sort((a, b) => a - b) : null;
    const rows: Array<{ id: string }> = await this.unique(patch.name ?? '', () =>
      this.db.query(
        `UPDATE cost_budgets SET
           name = COALESCE($2, name), limit_usd = COALESCE($3::numeric, limit_usd),
           thresholds_percent = COALESCE($4::int[], thresholds_percent),
           hard_cap = COALESCE($5, hard_cap), enabled = COALESCE($6, enabled), updated_at = now()
         WHERE id = $1 RETURNING id`,
        [id, patch.name ?? null, patch.limitUsd ?? null, thresholds, patch.hardCap ?? null, patch.enabled ?? null],
      ),
    );
    if (rows.length === 0) throw notFound('budget', id);
    return this.get(id);
  }

  private async unique<T>(name: string, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      const code = pgErrorCode(error);
      if (code === UNIQUE_VIOLATION) throw conflict(`a budget named ${name} already exists`);
      if (code === INVALID_PARAMETER_VALUE) throw unknownTimeZone();
      throw error;
    }
  }
}
