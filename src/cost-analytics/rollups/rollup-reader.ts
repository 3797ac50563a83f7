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
  /** The part of `tokens` and `costUsd` from calls still unconfirmed (sent, answer never recorded), at their local count. */
  unconfirmedTokens: number;
  unconfirmedCostUsd: string;
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
  unconfirmed_tokens: string | null;
  unconfirmed_cost_usd: string | null;
}

/**
 * Every query here takes the same first nine parameters (see `spanParameters`): the
 * distinct spans ($1–$6: id, grain, from, to and, for scoped sums, model and category)
 * and which range uses which span with which sign ($7–$9). A span shared by two ranges
 * (the partial day at the boundary of two local days) is read once.
 */
const SPANS_CTES = `spans AS (
    SELECT * FROM unnest($1::int[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::int[], $6::text[])
      AS s(span_id, grain, from_at, to_at, model_id, category)),
  uses AS (SELECT * FROM unnest($7::int[], $8::int[], $9::int[]) AS u(span_id, range_index, sign))`;

const SUMS = `sum(items) AS items, sum(tokens) AS tokens, sum(local_tokens) AS local_tokens, sum(cost_usd) AS cost_usd,
    sum(unconfirmed_tokens) AS unconfirmed_tokens, sum(unconfirmed_cost_usd) AS unconfirmed_cost_usd`;
/** The sums of per-span sums, each span's counted with its sign in the range (one multiplication per span, not per row). */
const SIGNED_SUMS = `sum(u.sign * p.items) AS items, sum(u.sign * p.tokens) AS tokens,
    sum(u.sign * p.local_tokens) AS local_tokens, sum(u.sign * p.cost_usd) AS cost_usd,
    sum(u.sign * p.unconfirmed_tokens) AS unconfirmed_tokens, sum(u.sign * p.unconfirmed_cost_usd) AS unconfirmed_cost_usd`;

const KEY_COLUMNS = ['model_id', 'category', 'purpose'];

/** Sums per span of the rollup rows it covers: from the totals tables, the keyed ones by key, or the keyed ones in the span's scope. */
function perSpanSql(source: 'totals' | 'keyed' | 'scoped'): string {
  const tables = source === 'totals' ? TOTALS_TABLES : ROLLUP_TABLES;
  const keys = source === 'keyed' ? KEY_COLUMNS : [];
  const inScope = 'AND (s.model_id IS NULL OR r.model_id = s.model_id) AND (s.category IS NULL OR r.category = s.category)';
  const pieces = ROLLUP_GRAINS.map(
    (grain) => `
      SELECT s.span_id, r.items, r.tokens, r.local_tokens, r.cost_usd, r.unconfirmed_tokens, r.unconfirmed_cost_usd${keys.map((key) => `, r.${key}`).join('')}
      FROM spans s JOIN ${tables[grain]} r ON r.bucket >= s.from_at AND r.bucket < s.to_at ${source === 'scoped' ? inScope : ''}
      WHERE s.grain = '${grain}'`,
  ).join('\n      UNION ALL');
  const groupBy = ['span_id', ...keys].join(', ');
  return `SELECT ${groupBy}, ${SUMS} FROM (${pieces}) AS pieces GROUP BY ${groupBy}`;
}

type RangeRow = SumsRow & { range_index: number };

const DAYS_AND_WEEKS = new PreparedStatement<RangeRow & { iso_week: string; by_week: number }>(`
  WITH ${SPANS_CTES},
  weeks AS (SELECT * FROM unnest($10::int[], $11::text[]) AS w(range_index, iso_week)),
  per_span AS (${perSpanSql('totals')}),
  per_day AS (SELECT u.range_index, ${SIGNED_SUMS} FROM uses u JOIN per_span p ON p.span_id = u.span_id GROUP BY u.range_index)
  SELECT w.range_index, w.iso_week, GROUPING(w.range_index) AS by_week,
         sum(d.items) AS items, sum(d.tokens) AS tokens, sum(d.local_tokens) AS local_tokens, sum(d.cost_usd) AS cost_usd,
         sum(d.unconfirmed_tokens) AS unconfirmed_tokens, sum(d.unconfirmed_cost_usd) AS unconfirmed_cost_usd
  FROM per_day d JOIN weeks w ON w.range_index = d.range_index
  GROUP BY GROUPING SETS ((w.range_index, w.iso_week), (w.iso_week))`);

const BY_KEY = new PreparedStatement<SumsRow & Omit<KeyRow, keyof UsageSums>>(`
  WITH ${SPANS_CTES},
  per_span AS (${perSpanSql('keyed')}),
  per_key AS (
    SELECT p.model_id, p.category, p.purpose, ${SIGNED_SUMS}
    FROM uses u JOIN per_span p ON p.span_id = u.span_id
    GROUP BY p.model_id, p.category, p.purpose
    HAVING sum(u.sign * p.items) <> 0)
  SELECT CASE WHEN GROUPING(m.name) = 0 THEN 'model' WHEN GROUPING(k.category) = 0 THEN 'category'
              WHEN GROUPING(k.purpose) = 0 THEN 'purpose' ELSE 'total' END AS dimension,
         m.name AS model, k.category, k.purpose,
         sum(k.items) AS items, sum(k.tokens) AS tokens, sum(k.local_tokens) AS local_tokens, sum(k.cost_usd) AS cost_usd,
         sum(k.unconfirmed_tokens) AS unconfirmed_tokens, sum(k.unconfirmed_cost_usd) AS unconfirmed_cost_usd
  FROM per_key k JOIN embedding_models m ON m.id = k.model_id
  GROUP BY GROUPING SETS ((m.name), (k.category), (k.purpose), ())`);

const CELLS = new PreparedStatement<RangeRow & { model: string; category: string | null; purpose: string }>(`
  WITH ${SPANS_CTES},
  per_span AS (${perSpanSql('keyed')})
  SELECT u.range_index, m.name AS model, p.category, p.purpose, ${SIGNED_SUMS}
  FROM uses u JOIN per_span p ON p.span_id = u.span_id JOIN embedding_models m ON m.id = p.model_id
  GROUP BY u.range_index, m.name, p.category, p.purpose
  HAVING sum(u.sign * p.items) <> 0
  ORDER BY u.range_index, m.name, p.category NULLS FIRST, p.purpose`);

const TOTALS = new PreparedStatement<RangeRow>(`
  WITH ${SPANS_CTES},
  per_span AS (${perSpanSql('totals')})
  SELECT u.range_index, ${SIGNED_SUMS} FROM uses u JOIN per_span p ON p.span_id = u.span_id GROUP BY u.range_index`);

const SCOPED_TOTALS = new PreparedStatement<RangeRow>(`
  WITH ${SPANS_CTES},
  per_span AS (${perSpanSql('scoped')})
  SELECT u.range_index, ${SIGNED_SUMS} FROM uses u JOIN per_span p ON p.span_id = u.span_id GROUP BY u.range_index`);

const FIRST_USAGE = new PreparedStatement<{ first: Date | null }>(`SELECT min(bucket) AS first FROM ${TOTALS_TABLES.quarter}`);

function sums(row: SumsRow | undefined): UsageSums {
  return {
    items: Number(row?.items ?? 0),
    tokens: Number(row?.tokens ?? 0),
    localTokens: Number(row?.local_tokens ?? 0),
    costUsd: row?.cost_usd ?? '0',
    unconfirmedTokens: Number(row?.unconfirmed_tokens ?? 0),
    unconfirmedCostUsd: row?.unconfirmed_cost_usd ?? '0',
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
      scoped.length === 0 ? [] : SCOPED_TOTALS.run(this.db, spanParameters(scoped)),
    ]);
    const answers = new Map<UsageRange, UsageSums>();
    unscoped.forEach((range, index) => answers.set(range, sums(unscopedRows.find((row) => row.range_index === index))));
    scoped.forEach((range, index) => answers.set(range, sums(scopedRows.find((row) => row.range_index === index))));
    return ranges.map((range) => answers.get(range)!);
  }

  /** Totals per day and per ISO week over consecutive days. */
  async daysAndWeeks(days: readonly ReportDay[]): Promise<DayAndWeekSums> {
    const rows = await DAYS_AND_WEEKS.run(this.db, [...spanParameters(days), days.map((_, index) => index), days.map((day) => day.isoWeek)]);
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

/** $1–$9 of every query here, for the ranges numbered in order; spans equal in grain, bounds and scope are shared. */
function spanParameters(ranges: ReadonlyArray<{ from: number; to: number; modelId?: number | null; category?: string | null }>): unknown[] {
  const ids = new Map<string, number>();
  const spans = {
    grain: [] as string[],
    from: [] as string[],
    to: [] as string[],
    modelId: [] as Array<number | null>,
    category: [] as Array<string | null>,
  };
  const uses = { spanId: [] as number[], rangeIndex: [] as number[], sign: [] as number[] };
  ranges.forEach((range, rangeIndex) => {
    const modelId = range.modelId ?? null;
    const category = range.category ?? null;
    for (const span of rollupSpans(range.from, range.to)) {
      const key = JSON.stringify([span.grain, span.from, span.to, modelId, category]);
      let id = ids.get(key);
      if (id === undefined) {
        id = ids.size;
        ids.set(key, id);
        spans.grain.push(span.grain);
        spans.from.push(new Date(span.from).toISOString());
        spans.to.push(new Date(span.to).toISOString());
        spans.modelId.push(modelId);
        spans.category.push(category);
      }
      uses.spanId.push(id);
      uses.rangeIndex.push(rangeIndex);
      uses.sign.push(span.sign);
    }
  });
  return [[...ids.values()], spans.grain, spans.from, spans.to, spans.modelId, spans.category, uses.spanId, uses.rangeIndex, uses.sign];
}
