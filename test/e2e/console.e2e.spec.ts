import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ingestPairs, migrationPairs } from '../support/migration-test-helpers';
import { ADMIN_KEY, USER_KEY, waitFor } from '../support/test-app';
import { CONSOLE_ARTIFACTS, launchChromium } from '../support/chromium';
import { countRows, useTestApp } from '../support/test-context';

const SMALL = 'text-embedding-3-small';
const ADA = 'text-embedding-ada-002';
const PAIRS = 30;
const LABELLED = 10;
/** Per-component noise that ruins a model's vectors: the quality gate holds a migration to it. */
const RUINOUS_NOISE = 0.2;
const BREAKER = 'openai';

/** Two near-duplicates each (the fake's vectors ignore case and punctuation: similarity 1); the second holds markup, shown as text. */
const DUPLICATES = {
  plain: [
    { question: 'How do I export my invoices as a spreadsheet?', answer: 'Open billing, choose invoices, then export as CSV.', category: 'billing' },
    { question: 'how do I EXPORT my invoices as a spreadsheet!', answer: 'Open billing; choose invoices; then export as CSV!', category: 'billing' },
  ],
  markup: [
    {
      question: 'Why does <img src=x onerror=alert(1)> show in my <b>answers</b>?',
      answer: 'The editor keeps <script>raw</script> markup as text.',
      category: 'editor',
    },
    {
      question: 'why does <img src=x onerror=alert(1)> show in my <b>answers</b>',
      answer: 'The editor keeps <script>raw</script> markup as text',
      category: 'editor',
    },
  ],
};

/** What the browser-side checks read (the tests' TypeScript has no DOM types). */
interface PageGlobals {
  document: {
    documentElement: { scrollWidth: number };
    querySelector(selector: string): { value?: number; textContent: string | null } | null;
    body: object;
  };
  innerWidth: number;
  MutationObserver: new (callback: () => void) => {
    observe(target: object, options: { subtree: boolean; childList: boolean; attributes: boolean }): void;
  };
  seenProgress: number[];
  Chart: { getChart(id: string): object | undefined };
}

/**
 * The operations console (src/console) driven in Debian's Chromium against the real service:
 * every page loads with a key and shows what the test created through the API, and each admin
 * action goes end to end (replay dead letters, force the breaker, end a rate-limit block, start
 * a migration and watch its bar move, cut it over past a held quality gate with a reason, roll
 * it back and clean up, scan for near-duplicates and dismiss or delete, run a drift check).
 * A user key sees no admin control and its admin calls answer 403. Screenshots go to
 * test-artifacts/console/.
 */
describe('operations console in headless Chromium', () => {
  let browser: Browser;
  // Declared before the app's hooks so that the browser is closed before the app.
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });
  const t = useTestApp({ env: { MIGRATION_TICK_MS: '100', SEARCH_EF_SEARCH: '1000' } });
  const admin = (method: string, path: string, body?: unknown) => t.app.request(method, path, { body, key: ADMIN_KEY });
  const idsByQuestion = new Map<string, string>();
  const pairs = migrationPairs(PAIRS, 'console');

  beforeAll(async () => {
    await ingestPairs(t.app, t.db, [...pairs, ...DUPLICATES.plain, ...DUPLICATES.markup], SMALL);
    const rows: Array<{ id: string; question: string }> = await t.db.query(`SELECT id, question FROM qa_pairs`);
    for (const row of rows) idsByQuestion.set(row.question, row.id);
    const budget = await admin('POST', '/api/v1/cost/budgets', {
      name: 'console monthly',
      period: 'monthly',
      limitUsd: '0.000010',
      thresholdsPercent: [50, 100],
    });
    expect(budget.status).toBe(201);
    expect((await admin('POST', '/api/v1/cost/alerts/check')).body.fired.length).toBeGreaterThan(0);
  });

  /** Opens the console at `#/route` in a new context and logs in with `key`; resolves once the page is drawn. */
  async function openConsole(
    key: string,
    route: string,
    viewport = { width: 1280, height: 900 },
  ): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      // A 404 is an answer the console reads (a QA pair deleted since a scan): Chromium logs it all the same.
      if (message.type() === 'error' && !/status of 404/.test(message.text())) problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(`${t.app.baseUrl}/console/#/${route}`);
    await page.waitForSelector('body[data-state="locked"]');
    await page.fill('#api-key', key);
    await page.click('#key-form button[type="submit"]');
    await page.waitForSelector(`body[data-state="ready"][data-page="${route.split('/')[0]}"]`);
    return { context, page, problems };
  }

  /** Clicks OK in the confirmation dialog, with a reason when given. */
  async function confirm(page: Page, reason?: string): Promise<void> {
    await page.waitForSelector('dialog#confirm[open]');
    if (reason !== undefined) await page.fill('#confirm-reason', reason);
    await page.click('#confirm-ok');
    await page.waitForSelector('dialog#confirm:not([open])', { state: 'attached' });
  }

  /** Form controls on the page without a label (there should be none). */
  const unlabelled = (page: Page) =>
    page.evaluate(() => {
      type Control = { labels: { length: number } | null; id: string; getAttribute(name: string): string | null };
      const document = (globalThis as unknown as { document: { querySelectorAll(selector: string): Iterable<Control> } }).document;
      return [...document.querySelectorAll('input, select, textarea')]
        .filter((control) => !control.labels?.length && !control.getAttribute('aria-label'))
        .map((control) => control.getAttribute('name') ?? control.id);
    });
  /** Waits until the element's text matches (the console redraws; the locator finds the current element). */
  const until = (page: Page, selector: string, pattern: RegExp) => page.locator(selector, { hasText: pattern }).first().waitFor();
  const shoot = (page: Page, name: string) => page.screenshot({ path: join(CONSOLE_ARTIFACTS, `${name}.png`), fullPage: true });
  const text = async (page: Page, selector: string) => (await page.textContent(selector)) ?? '';

  it('overview: health, queue, breakers, spend against the budget and the latest alert; reads on a narrow screen', async () => {
    const { context, page, problems } = await openConsole(ADMIN_KEY, 'overview');
    expect(await text(page, '#health-status')).toContain('ok');
    expect(await text(page, '.queue-facts')).toContain('waiting');
    expect(await text(page, '#overview-breakers')).toContain(`${BREAKER}: closed`);
    expect(await text(page, '#overview-budgets')).toContain('console monthly');
    expect(await text(page, '#overview-alerts')).toContain('console monthly');
    expect(await text(page, '#overview-migrations')).toContain('None in progress');
    expect(await text(page, '#role')).toBe('admin key');
    await shoot(page, 'overview');

    await page.setViewportSize({ width: 390, height: 844 });
    await page.click('#refresh');
    await page.waitForSelector('body[data-state="ready"]');
    const overflow = await page.evaluate(() => {
      const w = globalThis as unknown as PageGlobals;
      return w.document.documentElement.scrollWidth - w.innerWidth;
    });
    expect(overflow).toBeLessThanOrEqual(0);
    await shoot(page, 'overview-narrow');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('queue: dead letters with their reasons and texts; replay one, the filtered ones and all; discard one', async () => {
    const failing = ['alpha', 'beta', 'gamma', 'delta'].map((word) => ({
      question: `Dead letter ${word}: where is my parcel?`,
      answer: `Parcel ${word} left the depot.`,
    }));
    t.fake.configure({ fail: { next: 1_000, status: 400, message: 'console test: input refused' } });
    for (const pair of failing) expect((await t.app.request('POST', '/api/v1/qa-pairs', { body: pair })).status).toBe(201);
    await waitFor(async () => (await t.app.request('GET', '/api/v1/dead-letters')).body.total === failing.length, 30_000);
    t.fake.reset();
    const letters = (await t.app.request('GET', '/api/v1/dead-letters')).body.items as Array<{ id: string; qaPairId: string }>;

    const { context, page, problems } = await openConsole(ADMIN_KEY, 'queue');
    const rows = () => page.locator('#dead-letter-table tbody tr');
    expect(await rows().count()).toBe(4);
    expect(await text(page, '#dead-letter-table')).toContain('console test: input refused');
    await rows().first().locator('.show-text').click();
    await page.waitForSelector('#dead-letter-table .pair-text .question');
    expect(await text(page, '#dead-letter-table .pair-text')).toMatch(/Dead letter \w+: where is my parcel\?/);
    await shoot(page, 'queue');

    // One.
    await rows().first().locator('.replay-one').click();
    await until(page, '#dead-letter-total', /^3 /);
    // Filtered: by the pair of one letter.
    const open = (await t.app.request('GET', '/api/v1/dead-letters')).body.items as Array<{ id: string; qaPairId: string }>;
    expect(await unlabelled(page)).toEqual([]);
    // The filters work from the keyboard: Enter in a field applies them.
    await page.fill('input[name="qaPairId"]', open[0].qaPairId);
    await page.press('input[name="qaPairId"]', 'Enter');
    await until(page, '#dead-letter-total', /^1 /);
    await page.click('#replay-filtered');
    await confirm(page);
    await until(page, '#dead-letter-total', /^0 /);
    // Discard: filters cleared.
    await page.fill('input[name="qaPairId"]', '');
    await page.click('.filters button[type="submit"]');
    await until(page, '#dead-letter-total', /^2 /);
    await rows().first().locator('.discard-one').click();
    await confirm(page);
    await until(page, '#dead-letter-total', /^1 /);
    // All.
    await page.click('#replay-all');
    await confirm(page);
    await until(page, '#dead-letter-total', /^0 /);

    expect((await t.app.request('GET', '/api/v1/dead-letters')).body.total).toBe(0);
    const discarded = (await t.app.request('GET', '/api/v1/dead-letters?includeDiscarded=true')).body.items;
    expect(discarded).toHaveLength(1);
    // The replayed pairs are embedded this time; the discarded one is not retried.
    const replayed = letters.map((letter) => letter.qaPairId).filter((id) => id !== discarded[0].qaPairId);
    await waitFor(
      async () => (await countRows(t.db, `SELECT count(*) FROM embeddings WHERE qa_pair_id = ANY($1::uuid[])`, [replayed])) === 3,
      30_000,
    );
    expect(await countRows(t.db, `SELECT count(*) FROM embeddings WHERE qa_pair_id = $1`, [discarded[0].qaPairId])).toBe(0);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('breakers: force open with a reason and see why, force closed, reset; a rate-limit block and its end', async () => {
    const { context, page, problems } = await openConsole(ADMIN_KEY, 'breakers');
    const section = `.breaker[data-breaker="${BREAKER}"]`;
    await page.waitForSelector(section);

    // Escape cancels: nothing is sent.
    await page.click(`${section} button[data-action="force-open"]`);
    await page.waitForSelector('dialog#confirm[open]');
    await page.keyboard.press('Escape');
    await page.waitForSelector('dialog#confirm:not([open])', { state: 'attached' });
    expect((await t.app.request('GET', `/api/v1/circuit-breakers/${BREAKER}`)).body.forced).toBeNull();
    await page.click(`${section} button[data-action="force-open"]`);
    await page.waitForSelector('dialog#confirm[open]');
    // The reason is required: without one the dialog stays open.
    await page.click('#confirm-ok');
    expect(await page.locator('dialog#confirm[open]').count()).toBe(1);
    await confirm(page, 'INC-42 provider incident');
    await until(page, `#why-${BREAKER}`, /INC-42/);
    expect(await text(page, `${section} h3`)).toContain('forced open');
    expect(await text(page, `#history-${BREAKER}`)).toContain('INC-42 provider incident');
    expect((await t.app.request('GET', `/api/v1/circuit-breakers/${BREAKER}`)).body).toMatchObject({
      state: 'open',
      forced: 'open',
      forcedReason: 'INC-42 provider incident',
    });
    await shoot(page, 'breakers');

    await page.click(`${section} button[data-action="force-closed"]`);
    await confirm(page, '');
    await until(page, `${section} h3`, /forced closed/);
    expect((await t.app.request('GET', `/api/v1/circuit-breakers/${BREAKER}`)).body).toMatchObject({ state: 'closed', forced: 'closed' });
    await page.click(`${section} button[data-action="reset"]`);
    await confirm(page, 'incident over');
    await until(page, `${section} h3`, /^(?!.*forced)/);
    expect((await t.app.request('GET', `/api/v1/circuit-breakers/${BREAKER}`)).body).toMatchObject({ state: 'closed', forced: null });

    // A 429 with Retry-After blocks the rate budget (a search's query embedding meets it).
    t.fake.configure({ rateLimit: { next: 1, retryAfterMs: 120_000 } });
    await t.app.request('POST', '/api/v1/search', { body: { query: 'a query nobody asked before' } });
    await waitFor(
      async () =>
        Date.parse((await t.app.request('GET', `/api/v1/circuit-breakers/${BREAKER}/rate-budget`)).body.blockedUntil ?? '0') > Date.now() + 60_000,
    );
    t.fake.reset();
    await page.click('#refresh');
    await until(page, `#block-${BREAKER}`, /^blocked until/);
    await shoot(page, 'breakers-rate-limit-block');
    await page.click(`${section} button[data-action="rate-limit-reset"]`);
    await confirm(page);
    await until(page, `#block-${BREAKER}`, /^none/);
    const { blockedUntil } = (await t.app.request('GET', `/api/v1/circuit-breakers/${BREAKER}/rate-budget`)).body;
    expect(blockedUntil === null || Date.parse(blockedUntil) <= Date.now()).toBe(true);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('near-duplicates: a scan watched to its end, pairs side by side with markup shown as text; dismiss one, delete one of another', async () => {
    const { context, page, problems } = await openConsole(ADMIN_KEY, 'near-duplicates');
    await page.fill('#scan-form input[name="threshold"]', '0.99');
    await page.click('#scan-form button[type="submit"]');
    // The new scan's page: its row says it is under review, and its pairs come once it completes.
    await page.waitForSelector('#scan-list >> text=under review');
    const scanId = decodeURIComponent(page.url().split('#/near-duplicates/')[1]);
    const pairOf = (group: keyof typeof DUPLICATES) => {
      const [a, b] = DUPLICATES[group].map((pair) => idsByQuestion.get(pair.question)!).sort();
      return page.locator(`article.pair[data-pair="${a}:${b}"]`);
    };
    await pairOf('plain').waitFor();
    expect(await pairOf('plain').locator('.similarity').textContent()).toBe('similarity 1.0000');
    const markup = pairOf('markup');
    expect((await markup.locator('.question').allTextContents()).sort()).toEqual(DUPLICATES.markup.map((pair) => pair.question).sort());
    expect(await markup.locator('img, b, script').count()).toBe(0);
    expect(await unlabelled(page)).toEqual([]);
    await shoot(page, 'near-duplicates');

    await pairOf('plain').locator('button.dismiss').click();
    await pairOf('plain').waitFor({ state: 'detached' });
    const listed = async (includeDismissed: boolean) =>
      (await t.app.request('GET', `/api/v1/compare/near-duplicates/scans/${scanId}/pairs?includeDismissed=${includeDismissed}`)).body.items.map(
        (pair: { idA: string }) => pair.idA,
      );
    const plainA = DUPLICATES.plain.map((pair) => idsByQuestion.get(pair.question)!).sort()[0];
    expect(await listed(false)).not.toContain(plainA);
    expect(await listed(true)).toContain(plainA);
    expect(await text(page, '#dismissal-list')).toContain(plainA);

    await markup.locator('button.delete-pair').nth(1).click();
    await confirm(page);
    await page.waitForSelector(`article.pair.resolved[data-pair="${(await markup.getAttribute('data-pair'))!}"]`);
    const [, deleted] = (await markup.getAttribute('data-pair'))!.split(':');
    expect((await t.app.request('GET', `/api/v1/qa-pairs/${deleted}`)).status).toBe(404);
    await shoot(page, 'near-duplicates-reviewed');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('drift: runs a check and shows its report in the table and the chart', async () => {
    const { context, page, problems } = await openConsole(ADMIN_KEY, 'drift');
    await page.fill('#drift-form input[name="sampleSize"]', '5');
    await page.click('#drift-form button[type="submit"]');
    await confirm(page);
    await until(page, '#drift-table tbody tr', /stable/);
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).Chart.getChart('drift-chart') !== undefined);
    expect(await text(page, '#drift-table tbody tr')).toContain('5 of 5');
    expect(await unlabelled(page)).toEqual([]);
    await shoot(page, 'drift');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('migrations: estimate and its gate warning, start, the bar moving from the SSE stream, a held gate, cutover with a reason, rollback, cleanup', async () => {
    t.fake.configure({ modelNoise: { [ADA]: RUINOUS_NOISE } });
    const { context, page, problems } = await openConsole(ADMIN_KEY, 'migrations');
    // The progress stream: fetched with the key in a header (EventSource cannot send one), never in the URL.
    const streams: Array<{ url: string; key: string | undefined }> = [];
    page.on('request', (request) => {
      if (request.url().endsWith('/events')) streams.push({ url: request.url(), key: request.headers()['x-api-key'] });
    });
    await page.selectOption('#estimate-form select[name="toModel"]', ADA);
    await page.click('#estimate-form button[type="submit"]');
    await page.waitForSelector('#gate-warning');
    expect(await text(page, '#gate-warning')).toMatch(/no labelled queries/);
    expect(await unlabelled(page)).toEqual([]);
    await shoot(page, 'migrations-estimate');

    // With labelled queries the gate can judge; a fresh estimate says so.
    for (let i = 0; i < LABELLED; i++) {
      const body = { query: `how do I set up integration ${i} for team ${i % 29}`, relevantPairIds: [idsByQuestion.get(pairs[i].question)!] };
      expect((await t.app.request('POST', '/api/v1/evaluation/queries', { body })).status).toBe(201);
    }
    await page.click('#estimate-form button[type="submit"]');
    await page.waitForSelector('#gate-warning', { state: 'detached' });

    // Held at 0 % by a breaker forced open until the page follows the stream.
    await admin('POST', `/api/v1/circuit-breakers/${BREAKER}/force-open`, { reason: 'hold the migration' });
    await page.fill('#start-form input[name="batchSize"]', '10');
    await page.click('#start-form button[type="submit"]');
    await confirm(page);
    await page.waitForSelector('#migration-state .state-running');
    const id = decodeURIComponent(page.url().split('#/migrations/')[1]);
    await page.evaluate(() => {
      const w = globalThis as unknown as PageGlobals;
      w.seenProgress = [];
      const record = () => {
        const value = w.document.querySelector('#migration-progress progress')?.value;
        if (value !== undefined && value !== w.seenProgress[w.seenProgress.length - 1]) w.seenProgress.push(value);
      };
      record();
      new w.MutationObserver(record).observe(w.document.body, { subtree: true, childList: true, attributes: true });
    });
    expect(await page.getAttribute('#migration-progress progress', 'data-value')).toBe('0');
    await shoot(page, 'migration-running');
    await admin('POST', `/api/v1/circuit-breakers/${BREAKER}/reset`, { reason: 'let it run' });

    await page.waitForSelector('#gate-verdict .state-held', { timeout: 60_000 });
    expect(streams).toEqual([{ url: `${t.app.baseUrl}/api/v1/migrations/${id}/events`, key: ADMIN_KEY }]);
    const seen = await page.evaluate(() => (globalThis as unknown as PageGlobals).seenProgress);
    expect(seen[0]).toBe(0);
    expect(seen[seen.length - 1]).toBe(100);
    seen.slice(1).forEach((value, i) => expect(value).toBeGreaterThanOrEqual(seen[i]));
    expect(await text(page, '#migration-state')).toContain('ready');
    const scores = await text(page, '#gate-scores');
    expect(scores).toContain('recall@10');
    const held = (await t.app.request('GET', `/api/v1/migrations/${id}`)).body;
    expect(held.gate).toMatchObject({ verdict: 'held', metric: 'recall@10' });
    expect(scores).toContain(held.gate.source.scores['recall@10'].toFixed(3));
    expect(scores).toContain(held.gate.target.scores['recall@10'].toFixed(3));
    await shoot(page, 'migration-held');

    // Held: the API refuses a cutover without a reason; the dialog will not send one.
    expect(await admin('POST', `/api/v1/migrations/${id}/cutover`, {})).toMatchObject({
      status: 400,
      body: { message: expect.stringMatching(/^reason: /) },
    });
    await page.click('#migration-actions button[data-action="cutover"]');
    await page.waitForSelector('dialog#confirm[open]');
    await page.click('#confirm-ok');
    expect(await page.locator('dialog#confirm[open]').count()).toBe(1);
    await confirm(page, 'accepted after review: cheaper model');
    await page.waitForSelector('#migration-state .state-cut_over');
    expect(await text(page, '.page-body')).toContain('accepted after review: cheaper model');
    expect((await t.app.request('GET', `/api/v1/migrations/${id}`)).body).toMatchObject({
      state: 'cut_over',
      cutoverReason: 'accepted after review: cheaper model',
    });

    await page.click('#migration-actions button[data-action="rollback"]');
    await confirm(page);
    await page.waitForSelector('#migration-state .state-rolled_back');
    await page.click('#migration-actions button[data-action="cleanup"]');
    await confirm(page);
    await page.waitForSelector('#migration-actions button[data-action="cleanup"]', { state: 'detached' });
    await waitFor(async () => (await t.app.request('GET', `/api/v1/migrations/${id}`)).body.cleanedAt !== null, 30_000);
    await shoot(page, 'migration-done');
    t.fake.reset();
    expect(problems).toEqual([]);
    await context.close();
  });

  it('a user key sees every page without an admin control, and its admin calls answer 403', async () => {
    const migrationId = (await t.app.request('GET', '/api/v1/migrations?limit=1')).body.items[0].id;
    const { context, page, problems } = await openConsole(USER_KEY, 'overview');
    expect(await text(page, '#role')).toBe('user key (read only)');
    const drawn: Array<[string, string]> = [
      ['overview', '#health-status'],
      ['queue', '#dead-letter-table'],
      ['breakers', '.breaker'],
      ['migrations', '#migration-list'],
      [`migrations/${migrationId}`, '#migration-state'],
      ['near-duplicates', '#scan-list'],
      ['drift', '#drift-table'],
      ['costs', '#period-cost'],
    ];
    for (const [route, marker] of drawn) {
      await page.evaluate((hash) => ((globalThis as unknown as { location: { hash: string } }).location.hash = hash), `#/${route}`);
      await page.waitForSelector(`body[data-state="ready"][data-page="${route.split('/')[0]}"] ${marker}`);
      expect([route, await page.locator('[data-admin]').count()]).toEqual([route, 0]);
      expect([
        route,
        await page.locator('button', { hasText: /^(Force open|Replay|Start migration|Start scan|Run check|Cut over|Not a duplicate)$/ }).count(),
      ]).toEqual([route, 0]);
    }
    await page.evaluate(() => ((globalThis as unknown as { location: { hash: string } }).location.hash = '#/breakers'));
    await page.waitForSelector('body[data-state="ready"][data-page="breakers"]');
    await shoot(page, 'breakers-user-key');

    const [scan] = (await t.app.request('GET', '/api/v1/compare/near-duplicates/scans?limit=1')).body.items;
    const [letter] = (await t.app.request('GET', '/api/v1/dead-letters?includeDiscarded=true')).body.items;
    const ids = [...idsByQuestion.values()].slice(0, 2);
    const adminCalls: Array<[string, string, unknown?]> = [
      ['POST', `/api/v1/dead-letters/${letter.id}/replay`],
      ['POST', '/api/v1/dead-letters/replay', {}],
      ['DELETE', `/api/v1/dead-letters/${letter.id}`],
      ['POST', '/api/v1/queue/reconcile'],
      ['POST', `/api/v1/circuit-breakers/${BREAKER}/force-open`, { reason: 'no' }],
      ['POST', `/api/v1/circuit-breakers/${BREAKER}/force-closed`, {}],
      ['POST', `/api/v1/circuit-breakers/${BREAKER}/reset`, {}],
      ['POST', `/api/v1/circuit-breakers/${BREAKER}/rate-limit/reset`],
      ['POST', '/api/v1/migrations', { fromModel: SMALL, toModel: ADA }],
      ['POST', `/api/v1/migrations/${migrationId}/cutover`, { reason: 'no' }],
      ['POST', `/api/v1/migrations/${migrationId}/cleanup`],
      ['POST', '/api/v1/compare/near-duplicates/scans', {}],
      ['POST', `/api/v1/compare/near-duplicates/scans/${scan.id}/retry`],
      ['POST', '/api/v1/compare/near-duplicates/dismissals', { qaPairIds: ids }],
      ['POST', '/api/v1/compare/drift', {}],
    ];
    for (const [method, path, body] of adminCalls) {
      expect([method, path, (await t.app.request(method, path, { body, key: USER_KEY })).status]).toEqual([method, path, 403]);
    }
    expect((await t.app.request('GET', '/api/v1/whoami', { key: USER_KEY })).body).toEqual({ role: 'user' });
    expect((await t.app.request('GET', '/api/v1/whoami', { key: ADMIN_KEY })).body).toEqual({ role: 'admin' });
    expect((await t.app.request('GET', '/api/v1/whoami', { key: null })).status).toBe(401);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('serves its files itself with a strict CSP, nothing inline; the old /dashboard redirects to the Costs page', async () => {
    const page = await fetch(`${t.app.baseUrl}/console`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    const html = await page.text();
    expect(html).not.toMatch(/<script>(?!<\/script>)|<style|style=|https?:\/\//);
    for (const path of [
      '/console/app.js',
      '/console/pages/migrations.js',
      '/console/lib/api.js',
      '/console/console.css',
      '/console/chart.umd.min.js',
    ]) {
      const file = await fetch(`${t.app.baseUrl}${path}`);
      expect([path, file.status, file.headers.get('content-type')?.split(';')[0]]).toEqual([
        path,
        200,
        path.endsWith('.css') ? 'text/css' : 'text/javascript',
      ]);
    }
    for (const path of ['/console/secrets.txt', '/console/pages/nope.js', '/console/node_modules/chart.umd.min.js', '/console/index.html']) {
      expect([path, (await fetch(`${t.app.baseUrl}${path}`)).status]).toEqual([path, 404]);
    }
    const redirect = await fetch(`${t.app.baseUrl}/dashboard`, { redirect: 'manual' });
    expect([redirect.status, redirect.headers.get('location')]).toEqual([302, '/console/#/costs']);
    expect((await fetch(`${t.app.baseUrl}/dashboard/chart.umd.min.js`)).status).toBe(200);
    expect((await fetch(`${t.app.baseUrl}/dashboard/secrets.txt`)).status).toBe(404);
    // Under /api/v1 a key is checked first (401 without one); with one, there is no such route.
    expect((await fetch(`${t.app.baseUrl}/api/v1/console`)).status).toBe(401);
    expect((await fetch(`${t.app.baseUrl}/api/v1/console`, { headers: { 'x-api-key': USER_KEY } })).status).toBe(404);
  });
});
