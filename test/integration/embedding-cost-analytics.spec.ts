import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { clearCostTables, costServices, FixedClock, LARGE_MODEL_ID, recordUsage, type CostServices } from '../support/cost-services';
import { createTestEnvironment, destroyTestEnvironment, openDatabase, type TestEnvironment } from '../support/test-app';

/** text-embedding-3-small costs $0.02 per 1M tokens: this many tokens cost exactly one dollar. */
const ONE_DOLLAR = 50_000_000;

describe('embedding cost analytics (real database)', () => {
  let environment: TestEnvironment;
  let db: DataSource;
  let clock: FixedClock;
  let cost: CostServices;

  beforeAll(async () => {
    environment = await createTestEnvironment();
    db = await openDatabase(environment.databaseUrl);
    clock = new FixedClock();
    cost = costServices(db, { clock, env: { COST_BUDGET_GATE_CACHE_MS: '0' } });
  });

  afterAll(async () => {
    await db?.destroy();
    if (environment) await destroyTestEnvironment(environment);
  });

  beforeEach(async () => {
    await clearCostTables(db);
    clock.at = new Date('2026-11-15T00:00:00Z');
  });

  const costByDay = (report: { byDay: Array<{ date: string; costUsd: string }> }) =>
    Object.fromEntries(report.byDay.map((day) => [day.date, day.costUsd]));

  it('daily cost aggregation', async () => {
    await recordUsage(cost.ledger, '2026-03-02T10:00:00Z', [
      { tokens: 50_000, category: 'billing' },
      { tokens: 25_000, category: 'billing' },
    ]);
    await recordUsage(cost.ledger, '2026-03-02T23:59:00Z', [{ tokens: 50_000, category: 'billing' }]);
    await recordUsage(cost.ledger, '2026-03-03T00:00:00Z', [{ tokens: 100_000, category: 'account' }], { modelId: LARGE_MODEL_ID });
    await recordUsage(cost.ledger, '2026-03-05T12:00:00Z', [{ tokens: 10_000, category: 'billing' }]);

    const report = await cost.reports.getCostReport('2026-03-01', '2026-03-05');

    expect(costByDay(report)).toEqual({
      '2026-03-01': '0.00',
      '2026-03-02': '0.0025',
      '2026-03-03': '0.013',
      '2026-03-04': '0.00',
      '2026-03-05': '0.0002',
    });
    expect(report.byDay.find((day) => day.date === '2026-03-02')).toMatchObject({ items: 3, tokens: 125_000 });
    expect(report).toMatchObject({
      periodStart: '2026-03-01',
      periodEnd: '2026-03-05',
      timeZone: 'UTC',
      totalTokens: 235_000,
      totalCostUsd: '0.0157',
    });
    expect(report.periodStartsAt.toISOString()).toBe('2026-03-01T00:00:00.000Z');
    expect(report.periodEndsAt.toISOString()).toBe('2026-03-06T00:00:00.000Z');
    // The ledger itself holds the same exact amounts.
    const [{ total }] = await db.query(`SELECT sum(cost_usd)::text AS total FROM usage_ledger`);
    expect(total).toBe('0.015700000000');
  });

  it('weekly aggregation', async () => {
    // 2026-03-01 is a Sunday (end of ISO week 9); Monday 03-02 starts week 10.
    await recordUsage(cost.ledger, '2026-03-01T12:00:00Z', [{ tokens: 50_000 }]);
    await recordUsage(cost.ledger, '2026-03-02T00:00:00Z', [{ tokens: 50_000 }]);
    await recordUsage(cost.ledger, '2026-03-08T23:00:00Z', [{ tokens: 50_000 }]);
    await recordUsage(cost.ledger, '2026-03-09T00:00:00Z', [{ tokens: 100_000 }]);

    const report = await cost.reports.getCostReport('2026-03-01', '2026-03-15');

    expect(report.byWeek.map(({ isoWeek, firstDate, lastDate, days, costUsd }) => ({ isoWeek, firstDate, lastDate, days, costUsd }))).toEqual([
      { isoWeek: '2026-W09', firstDate: '2026-03-01', lastDate: '2026-03-01', days: 1, costUsd: '0.001' },
      { isoWeek: '2026-W10', firstDate: '2026-03-02', lastDate: '2026-03-08', days: 7, costUsd: '0.002' },
      { isoWeek: '2026-W11', firstDate: '2026-03-09', lastDate: '2026-03-15', days: 7, costUsd: '0.002' },
    ]);
  });

  it('cost by category', async () => {
    await recordUsage(cost.ledger, '2026-04-01T08:00:00Z', [
      { tokens: 50_000, category: 'billing' },
      { tokens: 50_000, category: 'billing' },
    ]);
    await recordUsage(cost.ledger, '2026-04-01T09:00:00Z', [{ tokens: 25_000, category: 'account', purpose: 'update' }], { modelId: LARGE_MODEL_ID });
    await recordUsage(cost.ledger, '2026-04-02T09:00:00Z', [{ tokens: 1_000, purpose: 'search' }]);

    const report = await cost.reports.getCostReport('2026-04-01', '2026-04-30');

    expect(report.byCategory.map(({ category, items, tokens, costUsd }) => ({ category, items, tokens, costUsd }))).toEqual([
      { category: 'account', items: 1, tokens: 25_000, costUsd: '0.00325' },
      { category: 'billing', items: 2, tokens: 100_000, costUsd: '0.002' },
      { category: null, items: 1, tokens: 1_000, costUsd: '0.00002' },
    ]);
    expect(report.byModel.map(({ model, costUsd }) => ({ model, costUsd }))).toEqual([
      { model: 'text-embedding-3-large', costUsd: '0.00325' },
      { model: 'text-embedding-3-small', costUsd: '0.00202' },
    ]);
    expect(report.byPurpose.map(({ purpose, costUsd }) => ({ purpose, costUsd }))).toEqual([
      { purpose: 'update', costUsd: '0.00325' },
      { purpose: 'ingest', costUsd: '0.002' },
      { purpose: 'search', costUsd: '0.00002' },
    ]);
    expect(report.totalCostUsd).toBe('0.00527');
  });

  it('cost projection', async () => {
    for (let day = 1; day <= 14; day++) {
      await recordUsage(cost.ledger, `2026-11-${String(day).padStart(2, '0')}T12:00:00Z`, [{ tokens: ONE_DOLLAR }]);
    }
    await cost.budgets.create({ name: 'november', period: 'monthly', limitUsd: '20' });
    await cost.budgets.create({ name: 'this week', period: 'weekly', limitUsd: '10' });

    const projection = await cost.projection.monthly('UTC');

    // $14 so far; pace = the trailing 7 days ($7) ÷ 7; 16 days left.
    expect(projection).toMatchObject({
      month: '2026-11',
      daysInMonth: 30,
      monthToDateCostUsd: '14.00',
      dailyPaceUsd: '1.00',
      paceWindowDays: 7,
      forecastRemainingUsd: '16.00',
      projectedCostUsd: '30.00',
    });
    const [monthly, weekly] = projection.budgets;
    expect(monthly).toMatchObject({ spentUsd: '14.00', percentUsed: 70, projectedPeriodCostUsd: '30.00', exceeded: false, crossesOn: '2026-11-21' });
    expect(monthly.crossesAt?.toISOString()).toBe('2026-11-21T00:00:00.000Z');
    // ISO week 46 runs Nov 9–15: $6 so far, one day left at $1/day, the $10 limit is not reached this week.
    expect(weekly).toMatchObject({ spentUsd: '6.00', projectedPeriodCostUsd: '7.00', crossesAt: null, crossesOn: null });
    expect(weekly.period.start).toBe('2026-11-09');
  });

  it('cost alerts: a warning when a threshold is exceeded, once per budget, period, limit and threshold', async () => {
    const budget = await cost.budgets.create({ name: 'monthly', period: 'monthly', limitUsd: '10.00', thresholdsPercent: [50, 80, 100] });
    await recordUsage(cost.ledger, '2026-11-03T10:00:00Z', [{ tokens: 6 * ONE_DOLLAR, category: 'billing' }]);

    const first = await cost.alerts.checkCostAlerts();
    expect(first.fired).toHaveLength(1);
    expect(first.fired[0]).toMatchObject({
      budgetId: budget.id,
      level: 'warning',
      thresholdPercent: 50,
      spentUsd: '6.00',
      limitUsd: '10.00',
      periodStart: '2026-11-01',
      webhook: { status: 'not_configured' },
    });
    expect((await cost.alerts.checkCostAlerts()).fired).toHaveLength(0);

    await recordUsage(cost.ledger, '2026-11-14T10:00:00Z', [{ tokens: 2.5 * ONE_DOLLAR, category: 'billing' }]);
    const second = await cost.alerts.checkCostAlerts();
    expect(second.fired.map((alert) => [alert.thresholdPercent, alert.level, alert.spentUsd])).toEqual([[80, 'warning', '8.50']]);

    const listed = await cost.alerts.list({ limit: 10, offset: 0 });
    expect(listed.total).toBe(2);
    expect(listed.items.map((alert) => alert.thresholdPercent).sort()).toEqual([50, 80]);
  });

  it('fires each alert exactly once when three schedulers check at the same moment', async () => {
    await cost.budgets.create({ name: 'daily', period: 'daily', limitUsd: '1', thresholdsPercent: [50, 80, 100] });
    await recordUsage(cost.ledger, '2026-11-14T20:00:00Z', [{ tokens: 2 * ONE_DOLLAR }]);
    clock.at = new Date('2026-11-14T21:00:00Z');
    const schedulers = [cost, costServices(db, { clock }), costServices(db, { clock })];

    const results = await Promise.all(schedulers.flatMap((scheduler) => [scheduler.alerts.checkCostAlerts(), scheduler.alerts.checkCostAlerts()]));

    expect(results.flatMap((result) => result.fired.map((alert) => alert.thresholdPercent)).sort()).toEqual([100, 50, 80]);
    expect((await cost.alerts.list({ limit: 10, offset: 0 })).total).toBe(3);
  });

  it('an alert crossed in the last minutes of a period still fires after the period ends', async () => {
    await cost.budgets.create({ name: 'daily', period: 'daily', limitUsd: '1', thresholdsPercent: [100] });
    await db.query(`UPDATE cost_budgets SET created_at = '2026-11-01'`);
    await recordUsage(cost.ledger, '2026-11-14T23:59:30Z', [{ tokens: ONE_DOLLAR }]);
    clock.at = new Date('2026-11-15T00:00:30Z');

    const { fired } = await cost.alerts.checkCostAlerts();

    expect(fired.map((alert) => [alert.periodStart, alert.level])).toEqual([['2026-11-14', 'exceeded']]);
  });

  describe('time zones', () => {
    it('a call at 23:30 UTC lands on the next day in UTC+1', async () => {
      await recordUsage(cost.ledger, '2026-01-14T23:30:00Z', [{ tokens: 50_000 }]);

      expect(costByDay(await cost.reports.getCostReport('2026-01-14', '2026-01-15'))).toEqual({ '2026-01-14': '0.001', '2026-01-15': '0.00' });
      expect(costByDay(await cost.reports.getCostReport('2026-01-14', '2026-01-15', { timeZone: 'Europe/Berlin' }))).toEqual({
        '2026-01-14': '0.00',
        '2026-01-15': '0.001',
      });
    });

    it.each([
      // India +5:30: local midnight of Jan 15 is 18:30 UTC on Jan 14.
      ['Asia/Kolkata', '2026-01-14T18:15:00Z', '2026-01-14T18:30:00Z'],
      // Nepal +5:45: 18:15 UTC.
      ['Asia/Kathmandu', '2026-01-14T18:00:00Z', '2026-01-14T18:15:00Z'],
      // Chatham +13:45 in its summer: 10:15 UTC.
      ['Pacific/Chatham', '2026-01-14T10:00:00Z', '2026-01-14T10:15:00Z'],
    ])('cuts days at quarter-hour offsets exactly (%s)', async (timeZone, lastQuarterOfDay, firstQuarterOfNextDay) => {
      await recordUsage(cost.ledger, new Date(Date.parse(lastQuarterOfDay) + 14 * 60_000), [{ tokens: 50_000 }]);
      await recordUsage(cost.ledger, firstQuarterOfNextDay, [{ tokens: 100_000 }]);
      await recordUsage(cost.ledger, '2026-01-16T03:00:00Z', [{ tokens: 150_000 }]);

      const report = await cost.reports.getCostReport('2026-01-13', '2026-01-16', { timeZone });

      expect(costByDay(report)).toEqual({ '2026-01-13': '0.00', '2026-01-14': '0.001', '2026-01-15': '0.002', '2026-01-16': '0.003' });
      expect(report.totalCostUsd).toBe('0.006');
    });

    it('handles a 23-hour DST day', async () => {
      // Europe/Berlin springs forward on 2026-03-29: that day runs from 23:00 UTC on the 28th to 22:00 UTC on the 29th.
      await recordUsage(cost.ledger, '2026-03-28T23:00:00Z', [{ tokens: 50_000 }]);
      await recordUsage(cost.ledger, '2026-03-29T21:45:00Z', [{ tokens: 50_000 }]);
      await recordUsage(cost.ledger, '2026-03-29T22:00:00Z', [{ tokens: 100_000 }]);

      const report = await cost.reports.getCostReport('2026-03-29', '2026-03-30', { timeZone: 'Europe/Berlin' });

      expect(costByDay(report)).toEqual({ '2026-03-29': '0.002', '2026-03-30': '0.002' });
      expect(report.periodEndsAt.getTime() - report.periodStartsAt.getTime()).toBe(47 * 3_600_000);
    });

    it('groups ISO week 53 (2026-W53 runs from Dec 28 2026 to Jan 3 2027)', async () => {
      await recordUsage(cost.ledger, '2026-12-27T12:00:00Z', [{ tokens: 50_000 }]);
      await recordUsage(cost.ledger, '2026-12-31T12:00:00Z', [{ tokens: 50_000 }]);
      await recordUsage(cost.ledger, '2027-01-02T12:00:00Z', [{ tokens: 100_000 }]);
      await recordUsage(cost.ledger, '2027-01-04T12:00:00Z', [{ tokens: 50_000 }]);

      const report = await cost.reports.getCostReport('2026-12-27', '2027-01-04');

      expect(report.byWeek.map(({ isoWeek, days, costUsd }) => [isoWeek, days, costUsd])).toEqual([
        ['2026-W52', 1, '0.001'],
        ['2026-W53', 7, '0.003'],
        ['2027-W01', 1, '0.001'],
      ]);
    });

    it('refuses unknown time zones, offsets, bad dates and reversed ranges, naming the field', async () => {
      await expect(cost.reports.getCostReport('2026-01-01', '2026-01-02', { timeZone: 'Mars/Olympus' })).rejects.toMatchObject({
        code: 'invalid_input',
        details: [{ field: 'timeZone' }],
      });
      await expect(cost.reports.getCostReport('2026-01-01', '2026-01-02', { timeZone: '+05:30' })).rejects.toMatchObject({
        code: 'invalid_input',
        details: [{ field: 'timeZone' }],
      });
      await expect(cost.reports.getCostReport('2026-02-30', '2026-03-02')).rejects.toMatchObject({
        code: 'invalid_input',
        details: [{ field: 'start' }],
      });
      await expect(cost.reports.getCostReport('2026-03-02', '2026-03-01')).rejects.toMatchObject({
        code: 'invalid_input',
        details: [{ field: 'end' }],
      });
      await expect(cost.reports.getCostReport('2020-01-01', '2026-01-01')).rejects.toMatchObject({
        code: 'invalid_input',
        details: [{ field: 'end' }],
      });
    });
  });

  describe('projection edges', () => {
    /** $n at noon on each date, after a free call weeks earlier so the pace window is the full 7 days. */
    const dailyDollars = async (dates: string[], dollars = 1) => {
      await recordUsage(cost.ledger, new Date(Date.parse(dates[0]) - 20 * 86_400_000), [{ tokens: 0 }]);
      for (const date of dates) await recordUsage(cost.ledger, `${date}T12:00:00Z`, [{ tokens: dollars * ONE_DOLLAR }]);
    };

    it('on the 1st of the month (and in December) forecasts from last month’s pace, with no division by zero', async () => {
      await dailyDollars(['2026-11-24', '2026-11-25', '2026-11-26', '2026-11-27', '2026-11-28', '2026-11-29', '2026-11-30'], 2);
      clock.at = new Date('2026-12-01T00:30:00Z');

      const projection = await cost.projection.monthly('UTC');

      expect(projection).toMatchObject({
        month: '2026-12',
        daysInMonth: 31,
        monthToDateCostUsd: '0.00',
        dailyPaceUsd: '2.00',
        // 30 days 23.5 hours left × $2.
        forecastRemainingUsd: '61.958333',
        projectedCostUsd: '61.958333',
      });
      expect(projection.monthStartsAt.toISOString()).toBe('2026-12-01T00:00:00.000Z');
      expect(projection.monthEndsAt.toISOString()).toBe('2027-01-01T00:00:00.000Z');

      // Half past one in Berlin: its December began at 23:00 UTC on Nov 30 and ends at 23:00 UTC on Dec 31.
      const berlin = await cost.projection.monthly('Europe/Berlin');
      expect(berlin.month).toBe('2026-12');
      expect(berlin.monthStartsAt.toISOString()).toBe('2026-11-30T23:00:00.000Z');
      expect(berlin.monthEndsAt.toISOString()).toBe('2026-12-31T23:00:00.000Z');
    });

    it('in February (28 days)', async () => {
      await dailyDollars(['2026-02-03', '2026-02-04', '2026-02-05', '2026-02-06', '2026-02-07', '2026-02-08', '2026-02-09']);
      clock.at = new Date('2026-02-10T00:00:00Z');

      expect(await cost.projection.monthly('UTC')).toMatchObject({
        month: '2026-02',
        daysInMonth: 28,
        monthToDateCostUsd: '7.00',
        dailyPaceUsd: '1.00',
        forecastRemainingUsd: '19.00',
        projectedCostUsd: '26.00',
      });
      clock.at = new Date('2028-02-10T00:00:00Z');
      expect((await cost.projection.monthly('UTC')).daysInMonth).toBe(29);
    });

    it('in the last quarter hour of a month', async () => {
      await dailyDollars(['2026-01-25', '2026-01-26', '2026-01-27', '2026-01-28', '2026-01-29', '2026-01-30', '2026-01-31']);
      clock.at = new Date('2026-01-31T23:45:00Z');

      expect(await cost.projection.monthly('UTC')).toMatchObject({
        month: '2026-01',
        monthToDateCostUsd: '7.00',
        dailyPaceUsd: '1.00',
        forecastRemainingUsd: '0.010417',
        projectedCostUsd: '7.010417',
      });
    });

    it('with a few hours of history measures the pace over at least one day', async () => {
      await recordUsage(cost.ledger, '2026-11-14T22:00:00Z', [{ tokens: 3 * ONE_DOLLAR }]);

      expect(await cost.projection.monthly('UTC')).toMatchObject({ paceWindowDays: 1, dailyPaceUsd: '3.00', forecastRemainingUsd: '48.00' });
    });
  });

  it('a price change takes effect at its instant and never rewrites history', async () => {
    clock.at = new Date('2026-06-01T00:00:00Z');
    await recordUsage(cost.ledger, '2026-06-01T00:00:00Z', [{ tokens: 50_000 }]);
    await cost.prices.add({ model: 'text-embedding-3-small', pricePerMillionTokens: '0.05', effectiveFrom: '2026-06-02T00:00:00Z' });
    await recordUsage(cost.ledger, '2026-06-01T23:59:00Z', [{ tokens: 50_000 }]);
    await recordUsage(cost.ledger, '2026-06-02T06:00:00Z', [{ tokens: 50_000 }]);

    expect(costByDay(await cost.reports.getCostReport('2026-06-01', '2026-06-02'))).toEqual({ '2026-06-01': '0.002', '2026-06-02': '0.0025' });
    const rows = await db.query(`SELECT cost_usd::text AS cost FROM usage_ledger ORDER BY created_at`);
    expect(rows.map((row: { cost: string }) => row.cost)).toEqual(['0.001000000000', '0.001000000000', '0.002500000000']);

    await expect(
      cost.prices.add({ model: 'text-embedding-3-small', pricePerMillionTokens: '0.01', effectiveFrom: '2026-05-31T00:00:00Z' }),
    ).rejects.toMatchObject({ code: 'invalid_input', details: [{ field: 'effectiveFrom' }] });
    clock.at = new Date('2026-06-03T00:00:00Z');
    const [small] = await cost.prices.history();
    expect(small).toMatchObject({
      model: 'text-embedding-3-small',
      registeredPricePerMillionTokens: '0.020000',
      currentPricePerMillionTokens: '0.050000',
    });
    expect(small.prices.map((price) => price.pricePerMillionTokens)).toEqual(['0.050000']);
  });

  it('reconciles local tokens with the reported usage: billed = reported, the difference visible', async () => {
    const callId = await recordUsage(
      cost.ledger,
      '2026-05-05T10:00:00Z',
      [
        { tokens: 50, category: 'a' },
        { tokens: 50, category: 'b' },
        { tokens: 1, category: 'a' },
      ],
      { reportedTokens: 111 },
    );

    const [call] = await db.query(`SELECT local_tokens, reported_tokens, token_difference FROM provider_calls WHERE id = $1`, [callId]);
    expect(call).toEqual({ local_tokens: 101, reported_tokens: 111, token_difference: 10 });
    const items = await db.query(`SELECT tokens, billed_tokens FROM usage_ledger WHERE call_id = $1 ORDER BY id`, [callId]);
    expect(items).toEqual([
      { tokens: 50, billed_tokens: 55 },
      { tokens: 50, billed_tokens: 55 },
      { tokens: 1, billed_tokens: 1 },
    ]);

    const report = await cost.reports.getCostReport('2026-05-05', '2026-05-05');
    expect(report).toMatchObject({ tokens: 111, localTokens: 101, tokenDifference: 10, totalCostUsd: '0.00000222' });
    expect(report.byCategory.find((row) => row.category === 'b')).toMatchObject({ tokens: 55, localTokens: 50, tokenDifference: 5 });

    const reconciliation = await cost.reconciliation.reconciliation('2026-05-01', '2026-05-31', { limit: 10, offset: 0 });
    expect(reconciliation.totals).toMatchObject({ tokens: 111, localTokens: 101, tokenDifference: 10 });
    expect(reconciliation.callsWithDifference).toBe(1);
    expect(reconciliation.calls[0]).toMatchObject({ callId, localTokens: 101, reportedTokens: 111, tokenDifference: 10, costUsd: '0.00000222' });
  });

  describe('unconfirmed spend (a call recorded before it is sent)', () => {
    const at = new Date('2026-07-01T10:07:00Z');
    const items = [
      { tokens: 30_000_000, category: 'billing', purpose: 'ingest' as const },
      { tokens: 20_000_000, category: 'account', purpose: 'ingest' as const },
    ];

    /** Every rollup table agrees with the ledger: sums of all spend, and of the unconfirmed part. */
    async function expectRollupsMatchLedger(): Promise<void> {
      const [ledger] = await db.query(`
        SELECT count(*)::int AS items, COALESCE(sum(l.billed_tokens), 0)::bigint::text AS tokens,
               COALESCE(sum(l.tokens), 0)::bigint::text AS local_tokens, COALESCE(sum(l.cost_usd), 0)::numeric(24, 12)::text AS cost_usd,
               count(*) FILTER (WHERE c.status = 'unconfirmed')::int AS unconfirmed_items,
               COALESCE(sum(l.billed_tokens) FILTER (WHERE c.status = 'unconfirmed'), 0)::bigint::text AS unconfirmed_tokens,
               COALESCE(sum(l.cost_usd) FILTER (WHERE c.status = 'unconfirmed'), 0)::numeric(24, 12)::text AS unconfirmed_cost_usd
        FROM usage_ledger l JOIN provider_calls c ON c.id = l.call_id`);
      for (const table of [
        'usage_rollup_15m',
        'usage_rollup_1h',
        'usage_rollup_1d',
        'usage_rollup_1w',
        'usage_totals_15m',
        'usage_totals_1h',
        'usage_totals_1d',
        'usage_totals_1w',
      ]) {
        const [rollup] = await db.query(`
          SELECT COALESCE(sum(items), 0)::int AS items, COALESCE(sum(tokens), 0)::bigint::text AS tokens,
                 COALESCE(sum(local_tokens), 0)::bigint::text AS local_tokens, COALESCE(sum(cost_usd), 0)::numeric(24, 12)::text AS cost_usd,
                 COALESCE(sum(unconfirmed_items), 0)::int AS unconfirmed_items, COALESCE(sum(unconfirmed_tokens), 0)::bigint::text AS unconfirmed_tokens,
                 COALESCE(sum(unconfirmed_cost_usd), 0)::numeric(24, 12)::text AS unconfirmed_cost_usd
          FROM ${table}`);
        expect({ table, ...rollup }).toEqual({ table, ...ledger });
      }
    }

    const report = () => cost.reports.getCostReport('2026-07-01', '2026-07-01');

    it('counts a pending call at its local tokens, in reports (a separate figure) and budgets, before any answer', async () => {
      clock.at = new Date('2026-07-01T12:00:00Z');
      await cost.budgets.create({ name: 'cap', period: 'daily', limitUsd: '1', hardCap: true });
      await cost.ledger.recordPending({ callId: randomUUID(), modelId: 1, occurredAt: at, items });

      expect(await report()).toMatchObject({
        items: 2,
        tokens: 50_000_000,
        costUsd: '1.00',
        unconfirmedTokens: 50_000_000,
        unconfirmedCostUsd: '1.00',
      });
      expect((await report()).byCategory).toEqual(
        expect.arrayContaining([expect.objectContaining({ category: 'billing', unconfirmedCostUsd: '0.60' })]),
      );
      // The hard cap counts it: a dollar of spend whose outcome is not known yet is a dollar.
      expect(await cost.gate.shouldPostpone('migration', 1)).toMatchObject({ postpone: true });
      await expectRollupsMatchLedger();
    });

    it('confirming moves the call out of unconfirmed and bills the reported usage, once however often it is confirmed', async () => {
      const callId = randomUUID();
      await cost.ledger.recordPending({ callId, modelId: 1, occurredAt: at, items });
      const confirm = () =>
        cost.ledger.settle(callId, items, { outcome: 'confirmed', requestId: 'req-1', durationMs: 40, reportedTokens: 55_000_000 });
      expect(await confirm()).toBe(true);
      expect(await confirm()).toBe(false);
      expect(await cost.ledger.settle(callId, items, { outcome: 'not_billed', durationMs: 1, error: 'late' })).toBe(false);

      expect(await report()).toMatchObject({
        items: 2,
        tokens: 55_000_000,
        localTokens: 50_000_000,
        costUsd: '1.10',
        unconfirmedTokens: 0,
        unconfirmedCostUsd: '0.00',
      });
      const [call] = await db.query(
        `SELECT status, request_id, reported_tokens, token_difference, cost_usd::text AS cost FROM provider_calls WHERE id = $1`,
        [callId],
      );
      expect(call).toEqual({
        status: 'confirmed',
        request_id: 'req-1',
        reported_tokens: 55_000_000,
        token_difference: 5_000_000,
        cost: '1.100000000000',
      });
      const ledgerRows = await db.query(`SELECT tokens, billed_tokens FROM usage_ledger WHERE call_id = $1 ORDER BY id`, [callId]);
      expect(ledgerRows).toEqual([
        { tokens: 30_000_000, billed_tokens: 33_000_000 },
        { tokens: 20_000_000, billed_tokens: 22_000_000 },
      ]);
      await expectRollupsMatchLedger();
    });

    it('a call the provider answered with an error leaves nothing billed; an unanswered one stays counted', async () => {
      const failed = randomUUID();
      const lost = randomUUID();
      await cost.ledger.recordPending({ callId: failed, modelId: 1, occurredAt: at, items });
      await cost.ledger.recordPending({ callId: lost, modelId: 1, occurredAt: at, items: [{ tokens: 5_000_000, purpose: 'search' }] });
      expect(await cost.ledger.settle(failed, items, { outcome: 'not_billed', durationMs: 3, error: 'provider answered 500' })).toBe(true);

      expect(await report()).toMatchObject({
        items: 1,
        tokens: 5_000_000,
        costUsd: '0.10',
        unconfirmedTokens: 5_000_000,
        unconfirmedCostUsd: '0.10',
      });
      expect(await db.query(`SELECT status, error FROM provider_calls WHERE id = $1`, [failed])).toEqual([
        { status: 'not_billed', error: 'provider answered 500' },
      ]);
      expect(await countLedgerRows(failed)).toBe(0);
      expect(await countLedgerRows(lost)).toBe(1);
      await expectRollupsMatchLedger();
    });

    const countLedgerRows = async (callId: string) =>
      Number((await db.query(`SELECT count(*) AS n FROM usage_ledger WHERE call_id = $1`, [callId]))[0].n);
  });

  describe('BudgetGate (hard cap)', () => {
    beforeEach(async () => {
      clock.at = new Date('2026-07-01T12:00:00Z');
      await cost.budgets.create({ name: 'small model cap', period: 'daily', limitUsd: '1', model: 'text-embedding-3-small', hardCap: true });
      await cost.budgets.create({ name: 'soft', period: 'daily', limitUsd: '0.5', model: 'text-embedding-3-large' });
    });

    it('lets everything through while the capped budget is under its limit', async () => {
      await recordUsage(cost.ledger, '2026-07-01T10:00:00Z', [{ tokens: ONE_DOLLAR / 2 }]);
      expect(await cost.gate.shouldPostpone('migration', 1)).toEqual({ postpone: false });
    });

    it('postpones deferrable work in scope until the period ends, never urgent work', async () => {
      await recordUsage(cost.ledger, '2026-07-01T10:00:00Z', [{ tokens: 1.5 * ONE_DOLLAR }]);
      await recordUsage(cost.ledger, '2026-07-01T10:00:00Z', [{ tokens: 5 * ONE_DOLLAR }], { modelId: LARGE_MODEL_ID });

      const migration = await cost.gate.shouldPostpone('migration', 1);
      expect(migration).toMatchObject({ postpone: true, reason: expect.stringContaining('small model cap') });
      expect(migration.until?.toISOString()).toBe('2026-07-02T00:00:00.000Z');
      expect(await cost.gate.shouldPostpone('drift', 1)).toMatchObject({ postpone: true });
      expect(await cost.gate.shouldPostpone('ingest', 1, { deferrable: true })).toMatchObject({ postpone: true });
      expect(await cost.gate.shouldPostpone('ingest', 1)).toEqual({ postpone: false });
      expect(await cost.gate.shouldPostpone('search', 1)).toEqual({ postpone: false });
      // The large model's budget is exceeded too, but it is not a hard cap.
      expect(await cost.gate.shouldPostpone('migration', 2)).toEqual({ postpone: false });

      clock.at = new Date('2026-07-02T00:00:00Z');
      expect(await cost.gate.shouldPostpone('migration', 1)).toEqual({ postpone: false });
    });
  });
});
