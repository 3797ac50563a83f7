import type { DataSource } from 'typeorm';
import { costServices, recordUsage, type CostServices } from '../support/cost-services';
import { CostWebhookServer } from '../support/cost-webhook-server';
import { createTestEnvironment, destroyTestEnvironment, openDatabase, TestApp, type TestEnvironment, waitFor } from '../support/test-app';

/** text-embedding-3-small costs $0.02 per 1M tokens. */
const ONE_DOLLAR = 50_000_000;

describe('cost alerts with three scheduler processes and a webhook', () => {
  let webhook: CostWebhookServer;
  let environment: TestEnvironment;
  let schedulers: TestApp[];
  let db: DataSource;
  let cost: CostServices;

  beforeAll(async () => {
    webhook = await CostWebhookServer.start();
    environment = await createTestEnvironment({
      COST_ALERT_WEBHOOK_URL: webhook.url,
      COST_ALERT_CHECK_INTERVAL_MS: '200',
      COST_ALERT_WEBHOOK_TIMEOUT_MS: '2000',
      COST_ALERT_WEBHOOK_MAX_ATTEMPTS: '3',
      COST_ALERT_WEBHOOK_BACKOFF_BASE_MS: '50',
      COST_ALERT_WEBHOOK_BACKOFF_CAP_MS: '200',
    });
    // Three scheduler processes of one cluster: same database, same Redis prefix.
    schedulers = [];
    for (let i = 0; i < 3; i++) schedulers.push(await TestApp.start(environment, { ROLE: 'scheduler' }));
    db = await openDatabase(environment.databaseUrl);
    cost = costServices(db);
  });

  afterAll(async () => {
    await db?.destroy();
    await Promise.all((schedulers ?? []).map((app) => app.close()));
    await webhook?.close();
    if (environment) await destroyTestEnvironment(environment);
  });

  const alertsOf = (budget: string) =>
    db.query(
      `SELECT a.id, a.threshold_percent, a.webhook_status, a.webhook_attempts, a.webhook_last_error
       FROM cost_alerts a JOIN cost_budgets b ON b.id = a.budget_id WHERE b.name = $1 ORDER BY a.threshold_percent`,
      [budget],
    );

  /** A daily budget of $1 scoped to its own category, and `dollars` spent in that category now. */
  async function overspend(budget: string, dollars: number, thresholdsPercent: number[]): Promise<void> {
    await cost.budgets.create({ name: budget, period: 'daily', limitUsd: '1', category: budget, thresholdsPercent });
    await recordUsage(cost.ledger, new Date(), [{ tokens: dollars * ONE_DOLLAR, category: budget }]);
  }

  it('fires, stores and delivers each alert exactly once', async () => {
    await overspend('triple', 2, [50, 80, 100]);

    await waitFor(
      async () => (await alertsOf('triple')).filter((row: { webhook_status: string }) => row.webhook_status === 'delivered').length === 3,
    );
    // Evidence that the schedulers kept checking afterwards: a budget overspent later fires too.
    await overspend('later', 1, [100]);
    await waitFor(async () => webhook.deliveriesOf('later').length === 1);

    const rows = await alertsOf('triple');
    expect(rows.map((row: { threshold_percent: number; webhook_attempts: number }) => [row.threshold_percent, row.webhook_attempts])).toEqual([
      [50, 1],
      [80, 1],
      [100, 1],
    ]);
    const deliveries = webhook.deliveriesOf('triple');
    expect(deliveries).toHaveLength(3);
    expect(new Set(deliveries.map((delivery) => delivery.alertId))).toEqual(new Set(rows.map((row: { id: string }) => row.id)));
    expect(deliveries.find((delivery) => delivery.body.alert.thresholdPercent === 100)?.body).toMatchObject({
      type: 'cost_alert',
      alert: { level: 'exceeded', spentUsd: '2.00', limitUsd: '1.00', period: { kind: 'daily', timeZone: 'UTC' }, budget: { category: 'triple' } },
    });
  });

  it('records the alert while the webhook is down, retries with backoff and delivers it once it is back', async () => {
    webhook.answer = (budget, attempt) => (budget === 'flaky' && attempt <= 2 ? 503 : 204);
    await overspend('flaky', 1, [100]);

    const [row] = await waitFor(async () => {
      const rows = await alertsOf('flaky');
      return rows[0]?.webhook_status === 'delivered' ? rows : null;
    });

    expect(row).toMatchObject({ webhook_attempts: 3, webhook_last_error: 'webhook answered 503' });
    expect(webhook.deliveriesOf('flaky').map((delivery) => [delivery.alertId, delivery.status])).toEqual([
      [row.id, 503],
      [row.id, 503],
      [row.id, 204],
    ]);
  });

  it('keeps the alert when every attempt fails, and marks the delivery failed after the last', async () => {
    webhook.answer = (budget) => (budget === 'down' ? 500 : 204);
    await overspend('down', 1, [100]);

    const [row] = await waitFor(async () => {
      const rows = await alertsOf('down');
      return rows[0]?.webhook_status === 'failed' ? rows : null;
    });

    expect(row).toMatchObject({ webhook_attempts: 3, webhook_last_error: 'webhook answered 500' });
    expect(webhook.deliveriesOf('down')).toHaveLength(3);
    const listed = await cost.alerts.list({ limit: 50, offset: 0 });
    expect(listed.items.find((alert) => alert.id === row.id)).toMatchObject({ level: 'exceeded', webhook: { status: 'failed', attempts: 3 } });
  });

  it('a limit raised mid-period alerts again on its own crossings, still once each across the schedulers', async () => {
    await overspend('raised', 1, [50, 100]);
    await waitFor(async () => webhook.deliveriesOf('raised').length === 2);

    // Raised to $4 with $1 spent: nothing crossed at the new limit yet.
    const [budget] = await db.query(`SELECT id FROM cost_budgets WHERE name = 'raised'`);
    await cost.budgets.update(budget.id, { limitUsd: '4' });
    await recordUsage(cost.ledger, new Date(), [{ tokens: 1.5 * ONE_DOLLAR, category: 'raised' }]);
    // $2.50 of $4: the new 50 % crossing fires, once, by whichever scheduler checks first.
    await waitFor(async () => webhook.deliveriesOf('raised').length === 3);
    await recordUsage(cost.ledger, new Date(), [{ tokens: 2 * ONE_DOLLAR, category: 'raised' }]);
    await waitFor(async () => webhook.deliveriesOf('raised').length === 4);
    // Several more ticks of all three schedulers: nothing fires twice.
    await new Promise((resolve) => setTimeout(resolve, 1000));

    const rows = await db.query(
      `SELECT a.threshold_percent, a.limit_usd::text AS limit_usd FROM cost_alerts a WHERE a.budget_id = $1 ORDER BY a.limit_usd, a.threshold_percent`,
      [budget.id],
    );
    expect(rows).toEqual([
      { threshold_percent: 50, limit_usd: '1.000000' },
      { threshold_percent: 100, limit_usd: '1.000000' },
      { threshold_percent: 50, limit_usd: '4.000000' },
      { threshold_percent: 100, limit_usd: '4.000000' },
    ]);
    expect(webhook.deliveriesOf('raised').map((delivery) => [delivery.body.alert.thresholdPercent, delivery.body.alert.limitUsd])).toEqual([
      [50, '1.00'],
      [100, '1.00'],
      [50, '4.00'],
      [100, '4.00'],
    ]);
  });
});
