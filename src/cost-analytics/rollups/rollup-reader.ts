import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { PreparedStatement } from '../prepared-statement';
import { rollupSpans } from './rollup-spans';
import { ROLLUP_GRAINS, ROLLUP_TABLES, TOTALS_TABLES } from './rollup-tables';

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

export interface DayAndWeekSums {
  /** One per day given, in order. */
  days: UsageSums[];
  weeks: Map<string, UsageSums>;
}

export type KeyDimension = 'model' | 'category' | 'purpose' | 'total';

export interface KeyRow extends UsageSums {
  dimension: KeyDimension;
  model: string | null;
  category: string | null;
  purpose: string | null;
}

export interface UsageCell extends UsageSums {
  dayIndex: number;
  model: string;
  category: string | null;
  purpose: string;
}

interface SumsRow {
  items: string | null;
  tokens: string | null;
  local_tokens: string | null;
  cost_usd: string | null;
}

const SPANS_CTE = `spans AS (
  SELECT * FROM unnest($1::int[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::int[])
    AS s(range_index, grain, from_at, to_at, sign))`;

/** The four sums of the signed pieces (numeric: node-pg hands them over as exact strings). */
const SIGNED_SUMS = `sum(sign * items) AS items, sum(sign * tokens) AS tokens,
    sum(sign * local_tokens) AS local_tokens, sum(sign * cost_usd) AS cost_usd`;

/**
 * Every rollup row a span covers, with the span's range and sign: from the totals tables,
 * or the keyed ones (optionally only the rows in each range's scope).
 */
function piecesSql(source: 'totals' | 'keyed' | 'scoped'): string {
  const tables = source === 'totals' ? TOTALS_TABLES : ROLLUP_TABLES;
  const columns = source === 'totals' ? '' : ', r.model_id, r.category, r.purpose';
  return ROLLUP_GRAINS.map(
    (grain) => `
    SELECT s.range_index, s.sign, r.items, r.tokens, r.local_tokens, r.cost_usd${columns}
    FROM spans s ${source === 'scoped' ? 'JOIN scopes g ON g.range_index = s.range_index' : ''}
    JOIN ${tables[grain]} r ON r.bucket >= s.from_at AND r.bucket < s.to_at
      ${source === 'scoped' ? 'AND (g.model_id IS NULL OR r.model_id = g.model_id) AND (g.category IS NULL OR r.category = g.category)' : ''}
    WHERE s.grain = '${grain}'`,
  ).join('\n    UNION ALL');
}

type RangeRow = SumsRow & { range_index: number };

const DAYS_AND_WEEKS = new PreparedStatement<RangeRow & { iso_week: string; by_week: number }>(`
  WITH ${SPANS_CTE},
  weeks AS (SELECT * FROM unnest($6::int[], $7::text[]) AS w(range_index, iso_week)),
  per_day AS (
    SELECT range_index, ${SIGNED_SUMS}
    FROM (${piecesSql('totals')}) AS pieces GROUP BY range_index)
  SELECT d.range_index, w.iso_week, GROUPING(d.range_index) AS by_week,
         sum(d.items) AS items, sum(d.tokens) AS tokens, sum(d.local_tokens) AS local_tokens, sum(d.cost_usd) AS cost_usd
  FROM per_day d JOIN weeks w ON w.range_index = d.range_index
  GROUP BY GROUPING SETS ((d.range_index, w.iso_week), (w.iso_week))`);

const BY_KEY = new PreparedStatement<SumsRow & Omit<KeyRow, keyof UsageSums>>(`
  WITH ${SPANS_CTE},
  per_key AS (
    SELECT model_id, category, purpose, ${SIGNED_SUMS}
    FROM (${piecesSql('keyed')}) AS pieces GROUP BY model_id, category, purpose
    HAVING sum(sign * items) <> 0)
  SELECT CASE WHEN GROUPING(m.name) = 0 THEN 'model' WHEN GROUPING(k.category) = 0 THEN 'category'
              WHEN GROUPING(k.purpose) = 0 THEN 'purpose' ELSE 'total' END AS dimension,
         m.name AS model, k.category, k.purpose,
         sum(k.items) AS items, sum(k.tokens) AS tokens, sum(k.local_tokens) AS local_tokens, sum(k.cost_usd) AS cost_usd
  FROM per_key k JOIN embedding_models m ON m.id = k.model_id
  GROUP BY GROUPING SETS ((m.name), (k.category), (k.purpose), ())`);

const CELLS = new PreparedStatement<RangeRow & { model: string; category: string | null; purpose: string }>(`
  WITH ${SPANS_CTE}
  SELECT p.range_index, m.name AS model, p.category, p.purpose, ${SIGNED_SUMS}
  FROM (${piecesSql('keyed')}) AS p JOIN embedding_models m ON m.id = p.model_id
  GROUP BY p.range_index, m.name, p.category, p.purpose
  HAVING sum(sign * items) <> 0
  ORDER BY p.range_index, m.name, p.category NULLS FIRST, p.purpose`);

const TOTALS = new PreparedStatement<RangeRow>(`
  WITH ${SPANS_CTE}
  SELECT range_index, ${SIGNED_SUMS} FROM (${piecesSql('totals')}) AS pieces GROUP BY range_index`);

const SCOPED_TOTALS = new PreparedStatement<RangeRow>(`
  WITH ${SPANS_CTE},
  scopes AS (SELECT * FROM unnest($6::int[], $7::int[], $8::text[]) AS g(range_index, model_id, category))
  SELECT range_index, ${SIGNED_SUMS} FROM (${piecesSql('scoped')}) AS pieces GROUP BY range_index`);

const FIRST_USAGE = new PreparedStatement<{ first: Date | null }>(`SELECT min(bucket) AS first FROM ${TOTALS_TABLES.quarter}`);

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
 * summed in SQL, exact numeric throughout. Totals per day come from the unkeyed totals
 * tables; breakdowns by model, category and purpose from the keyed ones, over the whole
 * range at once (the partial days inside it cancel out), which keeps both cheap.
 */
@Injectable()
export class RollupReader {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** One sum per range; ranges with a scope read the keyed tables, the others the totals. */
  async totals(ranges: readonly UsageRange[]): Promise<UsageSums[]> {
    const isScoped = (range: UsageRange) => (range.modelId ?? null) !== null || (range.category ?? null) !== null;
    const unscoped = ranges.filter((range) => !isScoped(range));
    const scoped = ranges.filter(isScoped);
    const [unscopedRows, scopedRows] = await Promise.all([
      unscoped.length === 0 ? [] : TOTALS.run(this.db, spanParameters(unscoped)),
      scoped.length === 0
        ? []
        : SCOPED_TOTALS.run(this.db, [
            ...spanParameters(scoped),
            scoped.map((_, index) => index),
            scoped.map((range) => range.modelId ?? null),
            scoped.map((range) => range.category ?? null),
          ]),
    ]);
    const answers = new Map<UsageRange, UsageSums>();
    unscoped.forEach((range, index) => answers.set(range, sums(unscopedRows.find((row) => row.range_index === index))));
    scoped.forEach((range, index) => answers.set(range, sums(scopedRows.find((row) => row.range_index === index))));
    return ranges.map((range) => answers.get(range)!);
  }

  /** Totals per day and per ISO week over consecutive days. */
  async daysAndWeeks(days: readonly ReportDay[]): Promise<DayAndWeekSums> {
    const rows = await DAYS_AND_WEEKS.run(this.db, [
      ...spanParameters(days),
      days.map((_, index) => index),
      days.map((day) => day.isoWeek),
    ]);
    const byDay = new Map(rows.filter((row) => row.by_week === 0).map((row) => [row.range_index, sums(row)]));
    return {
      days: days.map((_, index) => byDay.get(index) ?? sums(undefined)),
      weeks: new Map(rows.filter((row) => row.by_week === 1).map((row) => [row.iso_week, sums(row)])),
    };
  }

  /** Sums per model, category and purpose, and the total, over [from, to). */
  async byKey(from: number, to: number): Promise<KeyRow[]> {
    const rows = await BY_KEY.run(this.db, spanParameters([{ from, to }]));
    return rows.map((row) => ({ dimension: row.dimension, model: row.model, category: row.category, purpose: row.purpose, ...sums(row) }));
  }

  /** Sums per day, model, category and purpose: the rows of the CSV export. */
  async cells(days: readonly ReportDay[]): Promise<UsageCell[]> {
    const rows = await CELLS.run(this.db, spanParameters(days));
    return rows.map((row) => ({ dayIndex: row.range_index, model: row.model, category: row.category, purpose: row.purpose, ...sums(row) }));
  }

  /** The start of the earliest quarter hour with any usage. */
  async firstUsageAt(): Promise<Date | null> {
    const [row] = await FIRST_USAGE.run(this.db, []);
    return row?.first ?? null;
  }
}

/** The span arrays ($1–$5 of every query here) for ranges numbered in order. */
function spanParameters(ranges: ReadonlyArray<{ from: number; to: number }>): unknown[] {
  const rangeIndex: number[] = [];
  const grain: string[] = [];
  const from: string[] = [];
  const to: string[] = [];
  const sign: number[] = [];
  ranges.forEach((range, index) => {
    for (const span of rollupSpans(range.from, range.to)) {
      rangeIndex.push(index);
      grain.push(span.grain);
      from.push(new Date(span.from).toISOString());
      to.push(new Date(span.to).toISOString());
      sign.push(span.sign);
    }
  });
  return [rangeIndex, grain, from, to, sign];
}
