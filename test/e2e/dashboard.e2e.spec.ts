import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { UsageLedgerService } from '../../src/cost-analytics/usage-ledger.service';
import { LARGE_MODEL_ID, recordUsage } from '../support/cost-services';
import { ADMIN_KEY, USER_KEY } from '../support/test-app';
import { CONSOLE_ARTIFACTS, launchChromium } from '../support/chromium';
import { useTestApp } from '../support/test-context';

/** The browser's time zone: days on the Costs page are cut here, half an hour off UTC. */
const BROWSER_TIME_ZONE = 'Asia/Kolkata';

/** The parts of the page's globals the browser-side checks read (no DOM types in the tests' TypeScript). */
interface PageElement {
  textContent: string | null;
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, width: number, height: number): { data: Uint8ClampedArray } };
}
interface PageGlobals {
  document: { getElementById(id: string): PageElement; querySelectorAll(selector: string): { length: number } };
  Chart: { getChart(id: string): { data: { labels: string[]; datasets: Array<{ data: number[] }> } } };
  sessionStorage: { getItem(key: string): string | null };
}

/** The console's Costs page (src/console/web/pages/costs.js), reached through the old /dashboard address. */
describe("cost dashboard (the console's Costs page) in headless Chromium", () => {
  let browser: Browser;
  // Declared before the app's hooks so that the browser is closed before the app.
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });
  const t = useTestApp({ provider: 'offline' });

  beforeAll(async () => {
    const ledger = t.app.get(UsageLedgerService);
    const now = Date.now();
    const categories = ['billing', 'account', 'shipping'];
    for (let daysAgo = 0; daysAgo < 12; daysAgo++) {
      await recordUsage(
        ledger,
        new Date(now - daysAgo * 86_400_000 - 60_000),
        categories.map((category, index) => ({ tokens: (daysAgo + 1) * (index + 1) * 1_000_000, category })),
      );
    }
    await recordUsage(ledger, new Date(now - 60_000), [{ tokens: 4_000_000, category: 'billing', purpose: 'migration' }], {
      modelId: LARGE_MODEL_ID,
    });
    for (const budget of [
      { name: 'monthly total', period: 'monthly', limitUsd: '25', thresholdsPercent: [50, 80, 100] },
      { name: 'billing daily', period: 'daily', limitUsd: '0.05', category: 'billing' },
    ]) {
      expect((await t.app.request('POST', '/api/v1/cost/budgets', { body: budget, key: ADMIN_KEY })).status).toBe(201);
    }
    expect((await t.app.request('POST', '/api/v1/cost/alerts/check', { key: ADMIN_KEY })).body.fired.length).toBeGreaterThan(0);
  });

  it('asks for the key at the old address, then draws the API’s numbers; nothing from another origin, no CSP violation', async () => {
    const context = await browser.newContext({ timezoneId: BROWSER_TIME_ZONE, viewport: { width: 1400, height: 1500 } });
    const page = await context.newPage();
    const problems: string[] = [];
    const foreignRequests: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || /Content Security Policy/i.test(message.text())) problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('request', (request) => {
      if (!request.url().startsWith(t.app.baseUrl)) foreignRequests.push(request.url());
    });

    await page.goto(`${t.app.baseUrl}/dashboard`);
    await page.waitForSelector('body[data-state="locked"]');
    expect(page.url()).toBe(`${t.app.baseUrl}/console/#/costs`);
    await page.fill('#api-key', USER_KEY);
    await page.click('#key-form button[type="submit"]');
    await page.waitForSelector('body[data-state="ready"][data-page="costs"]');

    const end = new Intl.DateTimeFormat('en-CA', { timeZone: BROWSER_TIME_ZONE }).format(new Date());
    const start = new Date(Date.parse(`${end}T00:00:00Z`) - 29 * 86_400_000).toISOString().slice(0, 10);
    const report = (await t.app.request('GET', `/api/v1/cost/report?start=${start}&end=${end}&timeZone=${BROWSER_TIME_ZONE}`)).body;
    const budgets = (await t.app.request('GET', '/api/v1/cost/budgets')).body;
    const drawn = await page.evaluate(() => {
      // Runs in the page; the test's TypeScript has no DOM types, so it names what it reads.
      const page = globalThis as unknown as PageGlobals;
      const document = page.document;
      const chart = (id: string) => page.Chart.getChart(id);
      const data = (id: string) => ({ labels: chart(id).data.labels, values: chart(id).data.datasets.map((set) => set.data) });
      const inked = (id: string) => {
        const canvas = document.getElementById(id);
        const pixels: Uint8ClampedArray = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        let count = 0;
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) count++;
        return count;
      };
      const ids = ['daily-cost-chart', 'category-chart', 'model-chart', 'budget-chart'];
      return {
        charts: Object.fromEntries(ids.map((id) => [id, data(id)])),
        inked: Object.fromEntries(ids.map((id) => [id, inked(id)])),
        periodCost: document.getElementById('period-cost').textContent,
        alerts: document.querySelectorAll('#alerts tbody tr').length,
        storedKey: page.sessionStorage.getItem('embedding-service.api-key'),
      };
    });

    expect(drawn.charts['daily-cost-chart']).toEqual({
      labels: report.byDay.map((day: { date: string }) => day.date),
      values: [report.byDay.map((day: { costUsd: string }) => Number(day.costUsd))],
    });
    expect(drawn.charts['daily-cost-chart'].values[0].filter((value: number) => value > 0).length).toBeGreaterThanOrEqual(11);
    expect(drawn.charts['category-chart']).toEqual({
      labels: ['shipping', 'account', 'billing'],
      values: [report.byCategory.map((row: { costUsd: string }) => Number(row.costUsd))],
    });
    expect(drawn.charts['model-chart'].labels).toEqual(['text-embedding-3-small', 'text-embedding-3-large']);
    const [spent, projected, limits] = drawn.charts['budget-chart'].values;
    expect(drawn.charts['budget-chart'].labels).toEqual(['monthly total', 'billing daily']);
    expect(spent).toEqual(budgets.map((status: { spentUsd: string }) => Number(status.spentUsd)));
    expect(limits).toEqual([25, 0.05]);
    // The forecast moves with the clock between the page's request and ours.
    budgets.forEach((status: { projectedPeriodCostUsd: string }, index: number) =>
      expect(projected[index]).toBeCloseTo(Number(status.projectedPeriodCostUsd), 3),
    );
    for (const [id, pixels] of Object.entries(drawn.inked)) expect([id, pixels > 1_000]).toEqual([id, true]);
    expect(drawn.periodCost).toBe(`$${report.totalCostUsd}`);
    expect(drawn.alerts).toBeGreaterThan(0);

    expect(drawn.storedKey).toBe(USER_KEY);
    expect(page.url()).not.toContain(USER_KEY);
    expect(await page.content()).not.toContain(USER_KEY);
    expect(foreignRequests).toEqual([]);
    expect(problems).toEqual([]);

    await page.screenshot({ path: join(CONSOLE_ARTIFACTS, 'costs.png'), fullPage: true });
    await context.close();
  });

  it('forgets a refused key and asks again', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${t.app.baseUrl}/dashboard`);
    await page.fill('#api-key', 'not-a-key');
    await page.click('#key-form button[type="submit"]');
    await page.waitForSelector('#login-error:has-text("refused")');
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).sessionStorage.getItem('embedding-service.api-key'))).toBeNull();
    await context.close();
  });
});
