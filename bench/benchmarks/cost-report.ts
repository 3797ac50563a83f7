import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { BudgetStatusService } from '../../src/cost-analytics/budgets/budget-status.service';
import { BudgetsService } from '../../src/cost-analytics/budgets/budgets.service';
import { CostClock } from '../../src/cost-analytics/cost-clock';
import { ledgerWriteSql } from '../../src/cost-analytics/ledger-write-sql';
import { PreparedStatement } from '../../src/cost-analytics/prepared-statement';
import { CostProjectionService } from '../../src/cost-analytics/reports/cost-projection.service';
import { LaneUsage } from '../../src/cost-analytics/reports/lane-usage';
import { CostReportService } from '../../src/cost-analytics/reports/cost-report.service';
import { QueryCacheSavingsService } from '../../src/cost-analytics/query-cache/query-cache-savings.service';
import { LocalCalendar } from '../../src/cost-analytics/reports/local-calendar';
import { RollupReader } from '../../src/cost-analytics/rollups/rollup-reader';
import { ROLLUP_GRAINS, ROLLUP_TABLES, rollupBucketSql, TOTALS_SHARDS, TOTALS_TABLES } from '../../src/cost-analytics/rollups/rollup-tables';
import { type ProviderCallRecord, ledgerWriteParameters, UsageLedgerService } from '../../src/cost-analytics/usage-ledger.service';
import { USAGE_PURPOSES } from '../../src/cost-analytics/usage-purpose';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { PG_ADMIN_URL, withAdmin } from '../support/bench-environment';
import { median, percentile, round, scaled, type BenchContext, type Benchmark } from '../support/benchmark';

const FULL_ROWS = 10_000_000;
const HISTORY_DAYS = 180;
const REPORT_DAYS = 90;
const ITEMS_PER_CALL = 50;
const CATEGORIES = 24;
const LOAD_CHUNK_CALLS = 20_000;
const REPORT_REPETITIONS = 40;
const DAY_MS = 86_400_000;
/** Time zones the report is timed in: UTC (days are whole buckets) and two that cut days mid-hour. */
const TIME_ZONES = ['UTC', 'Asia/Kolkata', 'Asia/Kathmandu'] as const;

export const costReportBenchmark: Benchmark = {
  name: 'cost-report',
  description:
    `A ${REPORT_DAYS}-day cost report (by day, ISO week, category, model and purpose, plus the month projection) through ` +
    `CostReportService, which reads only the 15 min / 1 h / 1 day / 1 week rollups, against one GROUP BY over the raw usage ledger ` +
    `(${FULL_ROWS.toLocaleString('en')} rows over ${HISTORY_DAYS} days at full scale) in the same run; and what the rollup ` +
    'upserts add to UsageLedgerService.recordCall per embedded item.',
  async run(context: BenchContext) {
    const rows = scaled(FULL_ROWS, context.scale, 10_000);
    const database = await BenchDatabase.create();
    try {
      const { db } = database;
      const dataEnd = Math.floor(Date.now() / DAY_MS) * DAY_MS;
      const dataStart = dataEnd - HISTORY_DAYS * DAY_MS;
      let started = performance.now();
      await generateLedger(db, rows, dataStart, dataEnd, context);
      context.log(`ledger: ${rows} rows in ${seconds(started)} s`);
      started = performance.now();
      await buildRollups(db);
      const [{ rollup_rows }] = await db.query(
        `SELECT ${[...Object.values(ROLLUP_TABLES), ...Object.values(TOTALS_TABLES)].map((table) => `(SELECT count(*) FROM ${table})`).join(' + ')} AS rollup_rows`,
      );
      context.log(`rollups: ${rollup_rows} rows in ${seconds(started)} s`);

      const ledger = new UsageLedgerService(db);
      await writeSample(ledger, dataEnd - REPORT_DAYS * DAY_MS, dataEnd);
      const reports = reportService(db);
      const startDate = isoDate(dataEnd - REPORT_DAYS * DAY_MS);
      const endDate = isoDate(dataEnd - DAY_MS);

      const timings = await timeReports(reports, startDate, endDate, context);
      const { rawTimes, matches } = await compareWithRawScan(db, reports, startDate, endDate, context);
      const [{ ledger_rows }] = await db.query(`SELECT count(*)::bigint AS ledger_rows FROM usage_ledger`);
      const overhead = await measureWriteOverhead(database.url, context);
      const p95 = percentile(timings.UTC, 95);
      return {
        figures: {
          ledger_rows: Number(ledger_rows),
          rollup_rows: Number(rollup_rows),
          report_p50_ms: round(median(timings.UTC), 2),
          report_p95_ms: round(p95, 2),
          report_p50_ms_asia_kolkata: round(median(timings['Asia/Kolkata']), 2),
          report_p95_ms_asia_kolkata: round(percentile(timings['Asia/Kolkata'], 95), 2),
          report_p95_ms_asia_kathmandu: round(percentile(timings['Asia/Kathmandu'], 95), 2),
          raw_scan_ms: round(median(rawTimes.slice(0, context.runs)), 1),
          speedup_vs_raw_scan_at_p95: round(median(rawTimes.slice(0, context.runs)) / p95, 1),
          report_matches_raw_scan: matches ? 1 : 0,
          rollup_write_overhead_us_per_item: round(overhead.perItemUs, 2),
          record_call_us_per_item_with_rollups: round(overhead.withUsPerItem, 2),
          record_call_us_per_item_without_rollups: round(overhead.withoutUsPerItem, 2),
          rollup_write_overhead_us_per_single_item_call: round(overhead.singleItemCallUs, 1),
        },
        notes: {
          data:
            `${ITEMS_PER_CALL} items per provider call, ${CATEGORIES} categories (search calls have none), models 1–3, ` +
            `all five purposes; generated with generate_series, rollups built from the ledger with the write path's bucket ` +
            `expressions, plus ${SAMPLE_CALLS} calls through recordCall inside the report window`,
          report: `${REPORT_DAYS} local days ${startDate} – ${endDate}; ${REPORT_REPETITIONS} timed runs per time zone after 3 warm-ups; includes the month projection`,
          raw_scan:
            "GROUP BY GROUPING SETS ((local day), (category)) over usage_ledger for the report's UTC range (UTC and Asia/Kolkata runs must equal the report exactly)",
          write_overhead:
            `recordCall of ${OVERHEAD_ITEMS}-item calls (5 categories) with the rollup upserts vs the same prepared statement without them, ` +
            `${OVERHEAD_ROUNDS} alternating rounds of ${OVERHEAD_CALLS} calls, difference of the per-call medians; single-item calls (a search) ` +
            'likewise; synchronous_commit=off for both (the WAL flush costs both the same)',
        },
      };
    } finally {
      await database.drop();
    }
  },
};

/** Report durations in ms per time zone, after warm-ups. */
async function timeReports(reports: CostReportService, startDate: string, endDate: string, context: BenchContext) {
  const timings: Record<string, number[]> = {};
  for (const timeZone of TIME_ZONES) {
    for (let i = 0; i < 3; i++) await reports.getCostReport(startDate, endDate, { timeZone });
    timings[timeZone] = [];
    for (let i = 0; i < REPORT_REPETITIONS; i++) {
      const t = performance.now();
      await reports.getCostReport(startDate, endDate, { timeZone });
      timings[timeZone].push(performance.now() - t);
    }
    context.log(`report ${timeZone}: p50 ${round(median(timings[timeZone]), 2)} ms, p95 ${round(percentile(timings[timeZone], 95), 2)} ms`);
  }
  return timings;
}

/** The raw GROUP BY, timed `runs` times in UTC (once more in Asia/Kolkata), each checked against the report's answer. */
async function compareWithRawScan(db: DataSource, reports: CostReportService, startDate: string, endDate: string, context: BenchContext) {
  const rawTimes: number[] = [];
  let matches = true;
  for (const timeZone of ['UTC', 'Asia/Kolkata']) {
    const report = await reports.getCostReport(startDate, endDate, { timeZone });
    for (let run = 0; run < (timeZone === 'UTC' ? context.runs : 1); run++) {
      const t = performance.now();
      const raw = await rawScan(db, report.periodStartsAt, report.periodEndsAt, timeZone);
      rawTimes.push(performance.now() - t);
      matches &&= sameAnswer(report, raw);
    }
  }
  context.log(`raw scan: ${rawTimes.map((t) => round(t / 1000, 2)).join(', ')} s; same answer: ${matches}`);
  return { rawTimes, matches };
}

/** A database of the benchmark's own, migrated like the app's, dropped at the end. */
class BenchDatabase {
  private constructor(
    readonly name: string,
    readonly url: string,
    readonly db: DataSource,
  ) {}

  static async create(): Promise<BenchDatabase> {
    const name = `emb_bench_cost_${randomBytes(3).toString('hex')}`;
    await withAdmin((admin) => admin.query(`CREATE DATABASE ${name}`));
    const url = new URL(PG_ADMIN_URL);
    url.pathname = `/${name}`;
    const db = await new DataSource(dataSourceOptions({ url: url.toString(), poolSize: 4, statementTimeoutMs: 0 })).initialize();
    await db.runMigrations();
    return new BenchDatabase(name, url.toString(), db);
  }

  async drop(): Promise<void> {
    await this.db.destroy();
    await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS ${this.name} WITH (FORCE)`));
  }
}

/**
 * Calls spread evenly over the history with deterministic attributes derived from the
 * call number, ITEMS_PER_CALL ledger rows each, loaded in chunks with the secondary
 * indexes dropped and rebuilt afterwards (and foreign keys not checked: the calls exist).
 */
async function generateLedger(db: DataSource, rows: number, from: number, to: number, context: BenchContext): Promise<void> {
  const calls = Math.ceil(rows / ITEMS_PER_CALL);
  const callSpacingMs = (to - from) / calls;
  await db.query(`DROP INDEX usage_ledger_created_at, usage_ledger_qa_pair_id`);
  // Per call c: model 1 (70 %), 2 (20 %), 3 (10 %); purpose by c % 20; created_at evenly spaced with a little jitter.
  const callAttributes = (c: string) => `
    (CASE WHEN ${c} % 10 < 7 THEN 1 WHEN ${c} % 10 < 9 THEN 2 ELSE 3 END) AS model_id,
    (ARRAY['ingest','ingest','ingest','ingest','ingest','ingest','update','update','update','update',
           'migration','migration','migration','drift','search','search','search','search','search','search'])[${c} % 20 + 1] AS purpose,
    to_timestamp((${from} + ${c}::float8 * ${callSpacingMs} + (${c}::bigint * 7919 % 1000)) / 1000.0) AS created_at`;
  for (let first = 0; first < calls; first += LOAD_CHUNK_CALLS) {
    const last = Math.min(calls, first + LOAD_CHUNK_CALLS) - 1;
    const lastRow = Math.min(rows, (last + 1) * ITEMS_PER_CALL) - 1;
    await db.transaction(async (tx) => {
      await tx.query(`SET LOCAL session_replication_role = replica`);
      await tx.query(
        `INSERT INTO provider_calls (id, model_id, purpose, inputs, local_tokens, reported_tokens, duration_ms, created_at)
         SELECT md5('call' || c)::uuid, model_id, purpose, ${ITEMS_PER_CALL}, ${ITEMS_PER_CALL} * 200, ${ITEMS_PER_CALL} * 200 + (c % 50 = 0)::int, 120, created_at
         FROM (SELECT c, ${callAttributes('c')} FROM generate_series($1::int, $2::int) AS c) AS calls`,
        [first, last],
      );
      await tx.query(
        `INSERT INTO usage_ledger (call_id, model_id, qa_pair_id, category, purpose, tokens, billed_tokens, cost_usd, created_at)
         SELECT md5('call' || c)::uuid, model_id, md5('pair' || (i % 200000))::uuid,
                CASE WHEN purpose = 'search' THEN NULL ELSE 'category-' || (i * 2654435761 % ${CATEGORIES}) END,
                purpose, tokens, tokens, tokens * price * 0.000001, created_at
         FROM (SELECT i, i / ${ITEMS_PER_CALL} AS c, 20 + (i * 7919 % 380) AS tokens FROM generate_series($1::bigint, $2::bigint) AS i) AS items
         CROSS JOIN LATERAL (SELECT ${callAttributes('items.c')}) AS call
         JOIN (VALUES (1, 0.02), (2, 0.13), (3, 0.10)) AS prices(model, price) ON prices.model = call.model_id`,
        [first * ITEMS_PER_CALL, lastRow],
      );
    });
    if ((first / LOAD_CHUNK_CALLS) % 10 === 9) context.log(`  ${Math.min(rows, (last + 1) * ITEMS_PER_CALL)} rows`);
  }
  await db.query(`CREATE INDEX usage_ledger_created_at ON usage_ledger (created_at)`);
  await db.query(`CREATE INDEX usage_ledger_qa_pair_id ON usage_ledger (qa_pair_id)`);
  await db.query(`VACUUM ANALYZE usage_ledger`);
  await db.query(`VACUUM ANALYZE provider_calls`);
}

/** The rollups as the write path would have left them: same bucket expressions, same sums, totals spread over the shards. */
async function buildRollups(db: DataSource): Promise<void> {
  for (const grain of ROLLUP_GRAINS) {
    await db.query(
      `INSERT INTO ${ROLLUP_TABLES[grain]} (bucket, model_id, category, purpose, items, tokens, local_tokens, cost_usd)
       SELECT ${rollupBucketSql(grain, 'created_at')}, model_id, category, purpose, count(*), sum(billed_tokens), sum(tokens), sum(cost_usd)
       FROM usage_ledger GROUP BY 1, 2, 3, 4`,
    );
    await db.query(
      `INSERT INTO ${TOTALS_TABLES[grain]} (bucket, shard, items, tokens, local_tokens, cost_usd)
       SELECT ${rollupBucketSql(grain, 'created_at')}, abs(hashtext(call_id::text)) % ${TOTALS_SHARDS}, count(*), sum(billed_tokens), sum(tokens), sum(cost_usd)
       FROM usage_ledger GROUP BY 1, 2`,
    );
    await db.query(`VACUUM ANALYZE ${ROLLUP_TABLES[grain]}`);
    await db.query(`VACUUM ANALYZE ${TOTALS_TABLES[grain]}`);
  }
}

const SAMPLE_CALLS = 500;

/** Calls through the real write path inside the report window, so the report checks it against the raw scan too. */
async function writeSample(ledger: UsageLedgerService, from: number, to: number): Promise<void> {
  for (let i = 0; i < SAMPLE_CALLS; i++) {
    await ledger.recordCall(call(new Date(from + ((to - from) * (i + 0.5)) / SAMPLE_CALLS), 20, i));
  }
}

function call(occurredAt: Date, items: number, seed: number): ProviderCallRecord {
  return {
    callId: randomUUID(),
    modelId: 1 + (seed % 3),
    durationMs: 100,
    occurredAt,
    reportedTokens: items * 150 + (seed % 7),
    items: Array.from({ length: items }, (_, index) => ({
      qaPairId: randomUUID(),
      category: `category-${(seed + index) % 5}`,
      purpose: USAGE_PURPOSES[(seed + index) % 4],
      tokens: 150,
    })),
  };
}

function reportService(db: DataSource): CostReportService {
  const clock = new CostClock();
  const calendar = new LocalCalendar(db);
  const reader = new RollupReader(db);
  const budgets = new BudgetsService(db);
  const projection = new CostProjectionService(calendar, reader, budgets, new BudgetStatusService(calendar, reader, clock), clock);
  return new CostReportService(calendar, reader, projection, new QueryCacheSavingsService(db), new LaneUsage(db));
}

/** Cost (exact text) and billed tokens per local day and per category. */
interface RawAnswer {
  byDay: Map<string, { cost: string; tokens: number }>;
  byCategory: Map<string | null, { cost: string; tokens: number }>;
}

async function rawScan(db: DataSource, from: Date, to: Date, timeZone: string): Promise<RawAnswer> {
  const rows: Array<{ day: string; category: string | null; by_day: number; cost: string; tokens: string }> = await db.query(
    `SELECT (created_at AT TIME ZONE $3)::date::text AS day, category, GROUPING(category) AS by_day,
            sum(cost_usd)::text AS cost, sum(billed_tokens) AS tokens
     FROM usage_ledger WHERE created_at >= $1 AND created_at < $2
     GROUP BY GROUPING SETS (((created_at AT TIME ZONE $3)::date), (category))`,
    [from.toISOString(), to.toISOString(), timeZone],
  );
  const answer = (row: { cost: string; tokens: string }) => ({ cost: row.cost, tokens: Number(row.tokens) });
  return {
    byDay: new Map(rows.filter((row) => row.by_day === 1).map((row) => [row.day, answer(row)])),
    byCategory: new Map(rows.filter((row) => row.by_day === 0).map((row) => [row.category, answer(row)])),
  };
}

function sameAnswer(
  report: {
    byDay: Array<{ date: string; costUsd: string; tokens: number }>;
    byCategory: Array<{ category: string | null; costUsd: string; tokens: number }>;
  },
  raw: RawAnswer,
): boolean {
  const equal = (row: { costUsd: string; tokens: number }, expected: { cost: string; tokens: number } | undefined) =>
    trimmed(row.costUsd) === trimmed(expected?.cost) && row.tokens === (expected?.tokens ?? 0);
  return (
    report.byDay.every((day) => equal(day, raw.byDay.get(day.date))) &&
    report.byCategory.length === raw.byCategory.size &&
    report.byCategory.every((row) => equal(row, raw.byCategory.get(row.category)))
  );
}

/** Exact decimal text without trailing zeros, for comparing the report's strings with numeric sums. */
function trimmed(value: string | undefined): string {
  const text = value ?? '0';
  return text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text;
}

const OVERHEAD_ITEMS = 100;
const OVERHEAD_CALLS = 200;
const OVERHEAD_ROUNDS = 5;

/**
 * Times recordCall's statement with and without the rollup upserts, alternating, outside
 * the report window. Commits skip the WAL flush here (synchronous_commit=off): the flush
 * costs both variants the same and its jitter on a shared disk would drown the difference.
 */
async function measureWriteOverhead(url: string, context: BenchContext) {
  const base = dataSourceOptions({ url, poolSize: 1, statementTimeoutMs: 0 });
  const db = await new DataSource({ ...base, extra: { ...base.extra, options: '-c synchronous_commit=off' } } as DataSourceOptions).initialize();
  try {
    const ledger = new UsageLedgerService(db);
    const withoutRollups = new PreparedStatement(ledgerWriteSql({ rollups: false }));
    const occurredAt = new Date(Date.now() + 400 * DAY_MS);
    /** Per-call durations in µs: their median shrugs off the moments a busy machine deschedules us. */
    const timeCalls = async (items: number, calls: number, write: (record: ProviderCallRecord) => Promise<unknown>) => {
      const durations: number[] = [];
      for (const record of Array.from({ length: calls }, (_, i) => call(occurredAt, items, i))) {
        const t = performance.now();
        await write(record);
        durations.push((performance.now() - t) * 1000);
      }
      return durations;
    };
    const withRollups = (record: ProviderCallRecord) => ledger.recordCall(record);
    // The statement without rollups takes the parameters but the last (the totals shard).
    const ledgerOnly = (record: ProviderCallRecord) => withoutRollups.run(db, ledgerWriteParameters(record).slice(0, -1));
    await timeCalls(OVERHEAD_ITEMS, 50, withRollups);
    await timeCalls(OVERHEAD_ITEMS, 50, ledgerOnly);
    const batched = { with: [] as number[], without: [] as number[] };
    const single = { with: [] as number[], without: [] as number[] };
    for (let round = 0; round < OVERHEAD_ROUNDS; round++) {
      batched.without.push(...(await timeCalls(OVERHEAD_ITEMS, OVERHEAD_CALLS, ledgerOnly)));
      batched.with.push(...(await timeCalls(OVERHEAD_ITEMS, OVERHEAD_CALLS, withRollups)));
      single.without.push(...(await timeCalls(1, OVERHEAD_CALLS, ledgerOnly)));
      single.with.push(...(await timeCalls(1, OVERHEAD_CALLS, withRollups)));
    }
    const result = {
      withUsPerItem: median(batched.with) / OVERHEAD_ITEMS,
      withoutUsPerItem: median(batched.without) / OVERHEAD_ITEMS,
      perItemUs: (median(batched.with) - median(batched.without)) / OVERHEAD_ITEMS,
      singleItemCallUs: median(single.with) - median(single.without),
    };
    context.log(
      `recordCall per item: ${round(result.withUsPerItem, 2)} µs with rollups, ${round(result.withoutUsPerItem, 2)} µs without; ` +
        `single-item call +${round(result.singleItemCallUs, 1)} µs`,
    );
    return result;
  } finally {
    await db.destroy();
  }
}

function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function seconds(since: number): number {
  return round((performance.now() - since) / 1000, 1);
}
