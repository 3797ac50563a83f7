import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { rollupSpans } from './rollup-spans';
import { ROLLUP_GRAINS, ROLLUP_TABLES } from './rollup-tables';

/** Usage summed from the rollups; counts as numbers, cost as the exact numeric's text. */
export interface UsageSums {
  items: number;
  /** Billed tokens (the provider's count shared out over the items). */
  tokens: number;
  localTokens: number;
  costUsd: string;
}

/** [from, to) in epoch ms on quarter hours, optionally narrowed to one model and/or category. */
export interface UsageRange {
  from: number;
  to: number;
  modelId?: number | null;
  category?: string | null;
}

export interface ReportDay {
  from: number;
  to: number;
  isoWeek: string;
}

export type BreakdownDimension = 'day' | 'week' | 'model' | 'category' | 'purpose' | 'total';

export interface BreakdownRow extends UsageSums {
  dimension: BreakdownDimension;
  /** Index into the days given, for `day` rows. */
  dayIndex: number | null;
  isoWeek: string | null;
  modelId: number | null;
  model: string | null;
  category: string | null;
  purpose: string | null;
}

export interface UsageCell extends UsageSums {
  dayIndex: number;
  modelId: number;
  model: string;
  category: string | null;
  purpose: string;
}

interface SpanArrays {
  rangeIndex: number[];
  grain: string[];
  from: string[];
  to: string[];
  sign: number[];
}

const SPANS_CTE = `spans AS (
  SELECT * FROM unnest($1::int[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::int[])
    AS s(range_index, grain, from_at, to_at, sign))`;

/** Every rollup row a span covers, with the span's range and sign; optionally filtered by the range's scope. */
function piecesSql(scoped: boolean): string {
  return ROLLUP_GRAINS.map(
    (grain) => `
    SELECT s.range_index, s.sign, r.model_id, r.category, r.purpose, r.items, r.tokens, r.local_tokens, r.cost_usd
    FROM spans s ${scoped ? 'JOIN scopes g ON g.range_index = s.range_index' : ''}
    JOIN ${ROLLUP_TABLES[grain]} r ON r.bucket >= s.from_at AND r.bucket < s.to_at
      ${scoped ? 'AND (g.model_id IS NULL OR r.model_id = g.model_id) AND (g.category IS NULL OR r.category = g.category)' : ''}
    WHERE s.grain = '${grain}'`,
  ).join('\n    UNION ALL');
}

const CELLS_CTE = `cells AS (
  SELECT range_index, model_id, category, purpose,
         sum(sign * items) AS items, sum(sign * tokens) AS tokens,
         sum(sign * local_tokens) AS local_tokens, sum(sign * cost_usd) AS cost_usd
  FROM pieces GROUP BY range_index, model_id, category, purpose
  HAVING sum(sign * items) <> 0)`;

const BREAKDOWN_SQL = `
  WITH ${SPANS_CTE},
  days AS (SELECT * FROM unnest($6::int[], $7::text[]) AS d(range_index, iso_week)),
  pieces AS (${piecesSql(false)}),
  ${CELLS_CTE}
  SELECT CASE WHEN GROUPING(c.range_index) = 0 THEN 'day'
              WHEN GROUPING(d.iso_week) = 0 THEN 'week'
              WHEN GROUPING(c.model_id) = 0 THEN 'model'
              WHEN GROUPING(c.category) = 0 THEN 'category'
              WHEN GROUPING(c.purpose) = 0 THEN 'purpose'
              ELSE 'total' END AS dimension,
         c.range_index, d.iso_week, c.model_id, c.category, c.purpose,
         (SELECT m.name FROM embedding_models m WHERE m.id = c.model_id) AS model,
         sum(c.items)::text AS items, sum(c.tokens)::text AS tokens,
         sum(c.local_tokens)::text AS local_tokens, sum(c.cost_usd)::text AS cost_usd
  FROM cells c JOIN days d ON d.range_index = c.range_index
  GROUP BY GROUPING SETS ((c.range_index), (d.iso_week), (c.model_id), (c.category), (c.purpose), ())`;

const CELLS_SQL = `
  WITH ${SPANS_CTE},
  pieces AS (${piecesSql(false)}),
  ${CELLS_CTE}
  SELECT c.range_index, c.model_id, m.name AS model, c.category, c.purpose,
         c.items::text AS items, c.tokens::text AS tokens, c.local_tokens::text AS local_tokens, c.cost_usd::text AS cost_usd
  FROM cells c JOIN embedding_models m ON m.id = c.model_id
  ORDER BY c.range_index, m.name, c.category NULLS FIRST, c.purpose`;

const TOTALS_SQL = `
  WITH ${SPANS_CTE},
  scopes AS (SELECT * FROM unnest($6::int[], $7::int[], $8::text[]) AS g(range_index, model_id, category)),
  pieces AS (${piecesSql(true)})
  SELECT range_index, sum(sign * items)::text AS items, sum(sign * tokens)::text AS tokens,
         sum(sign * local_tokens)::text AS local_tokens, sum(sign * cost_usd)::text AS cost_usd
  FROM pieces GROUP BY range_index`;

interface SumsRow {
  items: string | null;
  tokens: string | null;
  local_tokens: string | null;
  cost_usd: string | null;
}

function sums(row: SumsRow | undefined): UsageSums {
  return {
    items: Number(row?.items ?? 0),
    tokens: Number(row?.tokens ?? 0),
    localTokens: Number(row?.local_tokens ?? 0),
    costUsd: row?.cost_usd ?? '0',
  };
}

/**
 * Every read of usage goes through here, and only ever touches the rollups: a range is
 * turned into a few spans of day, hour and quarter-hour buckets (see rollup-spans.ts) and
 * summed in SQL, exact numeric throughout.
 */
@Injectable()
export class RollupReader {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** One sum per range. */
  async totals(ranges: readonly UsageRange[]): Promise<UsageSums[]> {
    if (ranges.length === 0) return [];
    const spans = spanArrays(ranges);
    const rows: Array<SumsRow & { range_index: number }> = await this.db.query(TOTALS_SQL, [
      ...spanParameters(spans),
      ranges.map((_, index) => index),
      ranges.map((range) => range.modelId ?? null),
      ranges.map((range) => range.category ?? null),
    ]);
    const byRange = new Map(rows.map((row) => [row.range_index, row]));
    return ranges.map((_, index) => sums(byRange.get(index)));
  }

  /** Sums per day, ISO week, model, category and purpose, and the total, over consecutive days. */
  async breakdown(days: readonly ReportDay[]): Promise<BreakdownRow[]> {
    const rows: Array<SumsRow & Record<string, any>> = await this.db.query(BREAKDOWN_SQL, [
      ...spanParameters(spanArrays(days)),
      days.map((_, index) => index),
      days.map((day) => day.isoWeek),
    ]);
    return rows.map((row) => ({
      dimension: row.dimension,
      dayIndex: row.dimension === 'day' ? row.range_index : null,
      isoWeek: row.iso_week,
      modelId: row.model_id,
      model: row.model,
      category: row.category,
      purpose: row.purpose,
      ...sums(row),
    }));
  }

  /** Sums per day, model, category and purpose: the rows of the CSV export. */
  async cells(days: readonly ReportDay[]): Promise<UsageCell[]> {
    const rows: Array<SumsRow & Record<string, any>> = await this.db.query(CELLS_SQL, spanParameters(spanArrays(days)));
    return rows.map((row) => ({
      dayIndex: row.range_index,
      modelId: row.model_id,
      model: row.model,
      category: row.category,
      purpose: row.purpose,
      ...sums(row),
    }));
  }

  /** The start of the earliest quarter hour with any usage. */
  async firstUsageAt(): Promise<Date | null> {
    const [row] = await this.db.query(`SELECT min(bucket) AS first FROM ${ROLLUP_TABLES.quarter}`);
    return row?.first ?? null;
  }
}

function spanArrays(ranges: ReadonlyArray<{ from: number; to: number }>): SpanArrays {
  const arrays: SpanArrays = { rangeIndex: [], grain: [], from: [], to: [], sign: [] };
  ranges.forEach((range, index) => {
    for (const span of rollupSpans(range.from, range.to)) {
      arrays.rangeIndex.push(index);
      arrays.grain.push(span.grain);
      arrays.from.push(new Date(span.from).toISOString());
      arrays.to.push(new Date(span.to).toISOString());
      arrays.sign.push(span.sign);
    }
  });
  return arrays;
}

function spanParameters(spans: SpanArrays): unknown[] {
  return [spans.rangeIndex, spans.grain, spans.from, spans.to, spans.sign];
}
