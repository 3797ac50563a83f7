import { UsageLedgerService } from '../../src/cost-analytics/usage-ledger.service';
import { recordUsage } from '../support/cost-services';
import { ADMIN_KEY, waitFor } from '../support/test-app';
import { useTestApp } from '../support/test-context';

/** Today's date in UTC, as the API takes it. */
const today = () => new Date().toISOString().slice(0, 10);

describe('cost analytics over HTTP', () => {
  const t = useTestApp();

  it('reports what the embedding path spent, by category and purpose, as JSON and CSV', async () => {
    const created = await t.app.request('POST', '/api/v1/qa-pairs', {
      body: { question: 'Where is my invoice?', answer: 'Invoices are under Billing → Documents.', category: 'billing' },
    });
    expect(created.status).toBe(201);
    await waitFor(async () => (await t.app.request('GET', `/api/v1/qa-pairs/${created.body.id}`)).body.embedding.state === 'embedded');
    await t.app.request('POST', '/api/v1/search', { body: { query: 'invoice' } });

    const [ledger] = await t.db.query(`SELECT sum(billed_tokens)::int AS tokens, sum(cost_usd)::text AS cost FROM usage_ledger`);
    const report = await t.app.request('GET', `/api/v1/cost/report?start=${today()}&end=${today()}`);
    expect(report.status).toBe(200);
    expect(report.body.totalTokens).toBe(ledger.tokens);
    expect(report.body.byPurpose.map((row: { purpose: string }) => row.purpose).sort()).toEqual(['ingest', 'search']);
    expect(report.body.byCategory.map((row: { category: string | null }) => row.category).sort()).toEqual(['billing', null]);
    expect(report.body.byModel).toEqual([expect.objectContaining({ model: 'text-embedding-3-small' })]);
    expect(typeof report.body.totalCostUsd).toBe('string');
    expect(Number(report.body.totalCostUsd)).toBeCloseTo(Number(ledger.cost), 12);
    expect(report.body.projectedMonthly).toMatchObject({ timeZone: 'UTC', budgets: [] });

    const csv = await t.app.request('GET', `/api/v1/cost/report.csv?start=${today()}&end=${today()}&timeZone=Asia/Kolkata`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.headers.get('content-disposition')).toMatch(/attachment; filename="embedding-cost-/);
    const lines = String(csv.body).trim().split('\r\n');
    expect(lines[0]).toBe('date,iso_week,model,category,purpose,items,tokens,local_tokens,token_difference,cost_usd');
    expect(lines.slice(1).some((line) => line.includes(',billing,ingest,1,'))).toBe(true);
  });

  it('answers 400 naming the field, 401 without a key', async () => {
    const badZone = await t.app.request('GET', '/api/v1/cost/report?start=2026-01-01&end=2026-01-31&timeZone=Mars/Base');
    expect(badZone.status).toBe(400);
    expect(badZone.body.details).toEqual([expect.objectContaining({ field: 'timeZone' })]);
    const reversed = await t.app.request('GET', '/api/v1/cost/report?start=2026-02-01&end=2026-01-31');
    expect(reversed.body.details).toEqual([expect.objectContaining({ field: 'end' })]);
    const malformed = await t.app.request('GET', '/api/v1/cost/report?start=yesterday&end=2026-01-31');
    expect(malformed.body.details).toEqual([expect.objectContaining({ field: 'start' })]);
    expect((await t.app.request('GET', '/api/v1/cost/report?start=2026-01-01')).status).toBe(400);
    expect((await t.app.request('GET', '/api/v1/cost/projection?timeZone=+05:30')).status).toBe(400);
    expect((await t.app.request('GET', '/api/v1/cost/report?start=2026-01-01&end=2026-01-02', { key: null })).status).toBe(401);
  });

  it('budgets and prices need an admin key to change, and validate what they are given', async () => {
    await recordUsage(t.app.get(UsageLedgerService), new Date(), [{ tokens: 100_000, category: 'billing' }]);
    const budget = { name: 'http monthly', period: 'monthly', limitUsd: '0.000001', thresholdsPercent: [100, 50] };
    expect((await t.app.request('POST', '/api/v1/cost/budgets', { body: budget })).status).toBe(403);
    const created = await t.app.request('POST', '/api/v1/cost/budgets', { body: budget, key: ADMIN_KEY });
    expect(created.status).toBe(201);
    expect(created.body.budget).toMatchObject({
      name: 'http monthly',
      limitUsd: '0.000001',
      thresholdsPercent: [50, 100],
      timeZone: 'UTC',
      hardCap: false,
    });
    expect(created.body.exceeded).toBe(true);
    expect((await t.app.request('POST', '/api/v1/cost/budgets', { body: budget, key: ADMIN_KEY })).status).toBe(409);

    const invalid = await t.app.request('POST', '/api/v1/cost/budgets', {
      body: { name: 'x', period: 'yearly', limitUsd: '1.5e3', timeZone: 'Nowhere/City' },
      key: ADMIN_KEY,
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body.details.map((d: { field: string }) => d.field).sort()).toEqual(['limitUsd', 'period']);
    const badZone = await t.app.request('POST', '/api/v1/cost/budgets', {
      body: { name: 'x', period: 'daily', limitUsd: '1', timeZone: 'Nowhere/City' },
      key: ADMIN_KEY,
    });
    expect(badZone.body.details).toEqual([expect.objectContaining({ field: 'timeZone' })]);
    const badModel = await t.app.request('POST', '/api/v1/cost/budgets', {
      body: { name: 'x', period: 'daily', limitUsd: '1', model: 'gpt-9' },
      key: ADMIN_KEY,
    });
    expect(badModel.body.details).toEqual([expect.objectContaining({ field: 'model' })]);

    const patched = await t.app.request('PATCH', `/api/v1/cost/budgets/${created.body.budget.id}`, { body: { limitUsd: '1000' }, key: ADMIN_KEY });
    expect(patched.body).toMatchObject({ budget: { limitUsd: '1000.00' }, exceeded: false });
    expect(
      (await t.app.request('PATCH', `/api/v1/cost/budgets/${created.body.budget.id}`, { body: { period: 'daily' }, key: ADMIN_KEY })).status,
    ).toBe(400);
    expect((await t.app.request('GET', '/api/v1/cost/budgets')).body).toHaveLength(1);

    const future = new Date(Date.now() + 86_400_000).toISOString();
    const price = { model: 'text-embedding-3-small', pricePerMillionTokens: '0.015', effectiveFrom: future };
    expect((await t.app.request('POST', '/api/v1/cost/prices', { body: price })).status).toBe(403);
    const added = await t.app.request('POST', '/api/v1/cost/prices', { body: price, key: ADMIN_KEY });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ model: 'text-embedding-3-small', pricePerMillionTokens: '0.015000' });
    expect((await t.app.request('POST', '/api/v1/cost/prices', { body: price, key: ADMIN_KEY })).status).toBe(409);
    const past = await t.app.request('POST', '/api/v1/cost/prices', { body: { ...price, effectiveFrom: '2020-01-01T00:00:00Z' }, key: ADMIN_KEY });
    expect(past.body.details).toEqual([expect.objectContaining({ field: 'effectiveFrom' })]);
    const history = await t.app.request('GET', '/api/v1/cost/prices');
    expect(history.body.find((row: { model: string }) => row.model === 'text-embedding-3-small')).toMatchObject({
      currentPricePerMillionTokens: '0.020000',
      prices: [expect.objectContaining({ pricePerMillionTokens: '0.015000' })],
    });
  });

  it('checks alerts on demand, lists them and shows the reconciliation', async () => {
    const budget = await t.app.request('POST', '/api/v1/cost/budgets', {
      body: { name: 'http daily', period: 'daily', limitUsd: '0.000001', thresholdsPercent: [80, 100] },
      key: ADMIN_KEY,
    });
    expect((await t.app.request('POST', '/api/v1/cost/alerts/check')).status).toBe(403);
    const check = await t.app.request('POST', '/api/v1/cost/alerts/check', { key: ADMIN_KEY });
    expect(check.status).toBe(200);
    expect(check.body.fired.filter((alert: { budgetId: string }) => alert.budgetId === budget.body.budget.id)).toHaveLength(2);
    const again = await t.app.request('POST', '/api/v1/cost/alerts/check', { key: ADMIN_KEY });
    expect(again.body.fired).toEqual([]);
    const alerts = await t.app.request('GET', `/api/v1/cost/alerts?budgetId=${budget.body.budget.id}`);
    expect(alerts.body.total).toBe(2);
    expect(alerts.body.items[0]).toMatchObject({ budgetName: 'http daily', webhook: { status: 'not_configured' } });

    await recordUsage(t.app.get(UsageLedgerService), new Date(), [{ tokens: 40 }, { tokens: 60 }], { reportedTokens: 103 });
    const reconciliation = await t.app.request('GET', `/api/v1/cost/reconciliation?start=${today()}&end=${today()}&limit=5`);
    expect(reconciliation.status).toBe(200);
    expect(reconciliation.body.callsWithDifference).toBeGreaterThanOrEqual(1);
    expect(reconciliation.body.calls[0]).toMatchObject({ localTokens: 100, reportedTokens: 103, tokenDifference: 3 });
  });

  it('prices with the price in force: /models and the migration estimate follow price history, past and future', async () => {
    const LARGE = 'text-embedding-3-large';
    const created = await t.app.request('POST', '/api/v1/qa-pairs', {
      body: { question: 'What does a migration cost?', answer: 'Its tokens at the price in force.', category: 'pricing' },
    });
    await waitFor(async () => (await t.app.request('GET', `/api/v1/qa-pairs/${created.body.id}`)).body.embedding.state === 'embedded');
    const modelPrice = async (name: string) =>
      (
        (await t.app.request('GET', '/api/v1/models')).body as Array<{
          name: string;
          pricePerMillionTokens: string;
          registeredPricePerMillionTokens: string;
        }>
      ).find((model) => model.name === name);
    const estimate = async () =>
      (await t.app.request('POST', '/api/v1/migrations/estimate', { body: { fromModel: 'text-embedding-3-small', toModel: LARGE } })).body;
    expect(await modelPrice(LARGE)).toMatchObject({ pricePerMillionTokens: '0.130000' });
    const before = await estimate();
    expect(before.pairs).toBeGreaterThan(0);
    expect(before.pricePerMillionTokens).toBe('0.13');

    // A change that took effect yesterday (history is only ever written ahead of time, so it is set up in the table).
    await t.db.query(
      `INSERT INTO model_prices (model_id, price_per_million_tokens, effective_from)
                      SELECT id, 0.5, now() - interval '1 day' FROM embedding_models WHERE name = $1`,
      [LARGE],
    );
    // One tomorrow, through the API: not in force yet.
    const tomorrow = new Date(Date.now() + 24 * 3600_000).toISOString();
    const future = await t.app.request('POST', '/api/v1/cost/prices', {
      key: ADMIN_KEY,
      body: { model: LARGE, pricePerMillionTokens: '9', effectiveFrom: tomorrow },
    });
    expect(future.status).toBe(201);

    expect(await modelPrice(LARGE)).toMatchObject({ pricePerMillionTokens: '0.500000', registeredPricePerMillionTokens: '0.130000' });
    const after = await estimate();
    expect(after).toMatchObject({ pairs: before.pairs, tokens: before.tokens, pricePerMillionTokens: '0.5' });
    expect(after.costUsd).toBe(String((before.tokens * 0.5) / 1e6));
  });

  it('documents every cost endpoint in Swagger', async () => {
    const { body } = await t.app.request('GET', '/docs-json', { key: null });
    for (const path of [
      '/api/v1/cost/report',
      '/api/v1/cost/report.csv',
      '/api/v1/cost/projection',
      '/api/v1/cost/reconciliation',
      '/api/v1/cost/budgets',
      '/api/v1/cost/budgets/{id}',
      '/api/v1/cost/alerts',
      '/api/v1/cost/alerts/check',
      '/api/v1/cost/prices',
    ]) {
      expect(body.paths).toHaveProperty([path]);
    }
    expect(body.components.schemas.CostReportDto.properties.totalCostUsd.type).toBe('string');
  });
});
