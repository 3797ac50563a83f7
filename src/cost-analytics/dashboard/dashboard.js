/*
 * The cost dashboard: reads the same REST API as everyone else with the key the user typed
 * in (kept in sessionStorage, sent as the x-api-key header). Money arrives as exact decimal
 * strings: tables show them as they are; only the charts turn them into numbers to draw.
 */
'use strict';

(() => {
  const KEY_STORAGE = 'embedding-service.api-key';
  const REPORT_DAYS = 30;
  const REFRESH_MS = 60_000;
  const COLORS = ['#2e6bd1', '#e07a1f', '#2f9e6e', '#c2417a', '#7a5bd1', '#8a97a8', '#d1b82e', '#1f9bb5', '#a4532f', '#4d6b2f'];
  const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  const charts = new Map();
  let refreshTimer;

  class AuthError extends Error {}

  const byId = (id) => document.getElementById(id);

  function element(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function setState(state, message) {
    document.body.dataset.state = state;
    byId('status').textContent = message || '';
  }

  function localToday() {
    return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
  }

  function addDays(date, days) {
    return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
  }

  function formatInstant(value) {
    return value ? new Date(value).toLocaleString(undefined, { timeZone }) : '';
  }

  async function api(path) {
    const response = await fetch(path, { headers: { 'x-api-key': sessionStorage.getItem(KEY_STORAGE) || '' }, cache: 'no-store' });
    if (response.status === 401 || response.status === 403) throw new AuthError(`${path}: ${response.status}`);
    if (!response.ok) throw new Error(`${path} answered ${response.status}`);
    return response.json();
  }

  /** Endpoints the dashboard can live without (queue, breakers): null when they do not answer. */
  async function optional(path) {
    try {
      return await api(path);
    } catch (error) {
      if (error instanceof AuthError) throw error;
      return null;
    }
  }

  function draw(id, config) {
    charts.get(id)?.destroy();
    charts.set(id, new Chart(byId(id), config));
  }

  const usd = (value) => Number(value);
  const baseOptions = { animation: false, responsive: true, maintainAspectRatio: false };

  function renderReport(report) {
    byId('period-cost').textContent = `$${report.totalCostUsd}`;
    // Calls sent whose answer was never recorded: counted in the total, shown apart.
    byId('period-unconfirmed').textContent = report.unconfirmedTokens > 0 ? `of which unconfirmed: $${report.unconfirmedCostUsd}` : '';
    byId('period-tokens').textContent = `${report.totalTokens.toLocaleString()} tokens, ${report.periodStart} – ${report.periodEnd}`;
    const month = report.projectedMonthly;
    byId('month-title').textContent = `${month.month} projected`;
    byId('month-projected').textContent = `$${month.projectedCostUsd}`;
    byId('month-to-date').textContent = `$${month.monthToDateCostUsd} so far, pace $${month.dailyPaceUsd}/day`;

    draw('daily-cost-chart', {
      type: 'bar',
      data: {
        labels: report.byDay.map((day) => day.date),
        datasets: [{ label: 'USD', data: report.byDay.map((day) => usd(day.costUsd)), backgroundColor: COLORS[0] }],
      },
      options: { ...baseOptions, plugins: { legend: { display: false } } },
    });
    draw('category-chart', {
      type: 'doughnut',
      data: {
        labels: report.byCategory.map((row) => row.category ?? '(none: search)'),
        datasets: [{ data: report.byCategory.map((row) => usd(row.costUsd)), backgroundColor: COLORS }],
      },
      options: { ...baseOptions, plugins: { legend: { position: 'right' } } },
    });
    draw('model-chart', {
      type: 'bar',
      data: {
        labels: report.byModel.map((row) => row.model),
        datasets: [{ label: 'USD', data: report.byModel.map((row) => usd(row.costUsd)), backgroundColor: COLORS.slice(1) }],
      },
      options: { ...baseOptions, indexAxis: 'y', plugins: { legend: { display: false } } },
    });
  }

  function renderBudgets(budgets) {
    byId('no-budgets').hidden = budgets.length > 0;
    byId('budget-chart').parentElement.hidden = budgets.length === 0;
    const rows = byId('budgets').querySelector('tbody');
    rows.replaceChildren(
      ...budgets.map((status) => {
        const row = element('tr');
        row.append(
          element('td', status.budget.name),
          element('td', `${status.budget.period} from ${status.period.start}`),
          element('td', `$${status.spentUsd} (${status.percentUsed}%)`, status.exceeded ? 'number level-exceeded' : 'number'),
          element('td', `$${status.budget.limitUsd}`, 'number'),
          element('td', `$${status.projectedPeriodCostUsd}`, 'number'),
          element('td', status.exceeded ? 'exceeded' : (status.crossesOn ?? 'not this period')),
        );
        return row;
      }),
    );
    if (budgets.length === 0) return;
    draw('budget-chart', {
      type: 'bar',
      data: {
        labels: budgets.map((status) => status.budget.name),
        datasets: [
          { label: 'Spent', data: budgets.map((status) => usd(status.spentUsd)), backgroundColor: COLORS[0] },
          { label: 'Projected', data: budgets.map((status) => usd(status.projectedPeriodCostUsd)), backgroundColor: COLORS[1] },
          { label: 'Limit', data: budgets.map((status) => usd(status.budget.limitUsd)), backgroundColor: COLORS[5] },
        ],
      },
      options: { ...baseOptions, indexAxis: 'y' },
    });
  }

  function renderAlerts(page) {
    const rows = byId('alerts').querySelector('tbody');
    if (page.items.length === 0) {
      const row = element('tr');
      const cell = element('td', 'No alerts.');
      cell.colSpan = 6;
      row.append(cell);
      rows.replaceChildren(row);
      return;
    }
    rows.replaceChildren(
      ...page.items.map((alert) => {
        const row = element('tr');
        row.append(
          element('td', formatInstant(alert.firedAt)),
          element('td', alert.budgetName),
          element('td', alert.level, `level-${alert.level}`),
          element('td', `${alert.thresholdPercent}%`, 'number'),
          element('td', `$${alert.spentUsd} / $${alert.limitUsd}`, 'number'),
          element('td', `${alert.webhook.status}${alert.webhook.attempts ? ` (${alert.webhook.attempts} attempts)` : ''}`),
        );
        return row;
      }),
    );
  }

  function renderQueue(stats) {
    const list = byId('queue');
    if (!stats) {
      list.replaceChildren(element('dt', 'unavailable', 'unavailable'));
      return;
    }
    const entries = [
      ['waiting', stats.jobs.waiting],
      ['active', stats.jobs.active],
      ['delayed', stats.jobs.delayed],
      ['failed', stats.jobs.failed],
      ['dead letters', stats.deadLetters],
      ['embedded / s (5 min)', stats.embeddedPerSecond5m],
    ];
    list.replaceChildren(...entries.flatMap(([name, value]) => [element('dt', name), element('dd', value)]));
  }

  /** Whatever shape the breaker API settles on: a list, or an object holding one, of { name, state }. */
  function renderBreakers(answer) {
    const list = byId('breakers');
    const breakers = Array.isArray(answer) ? answer : answer && (answer.breakers || answer.items);
    if (!Array.isArray(breakers)) {
      list.replaceChildren(element('li', 'unavailable', 'unavailable'));
      return;
    }
    if (breakers.length === 0) {
      list.replaceChildren(element('li', 'none recorded yet'));
      return;
    }
    list.replaceChildren(
      ...breakers.map((breaker) => {
        const item = element('li', `${breaker.name}: `);
        item.append(element('span', breaker.state + (breaker.forced ? ` (forced ${breaker.forced})` : ''), `state-${breaker.state}`));
        return item;
      }),
    );
  }

  async function load() {
    clearTimeout(refreshTimer);
    setState('loading', 'Loading…');
    const end = localToday();
    const start = addDays(end, -(REPORT_DAYS - 1));
    try {
      const [report, budgets, alerts, queue, breakers] = await Promise.all([
        api(`/api/v1/cost/report?start=${start}&end=${end}&timeZone=${encodeURIComponent(timeZone)}`),
        api('/api/v1/cost/budgets'),
        api('/api/v1/cost/alerts?limit=10'),
        optional('/api/v1/queue/stats'),
        optional('/api/v1/circuit-breakers'),
      ]);
      showContent();
      renderReport(report);
      renderBudgets(budgets);
      renderAlerts(alerts);
      renderQueue(queue);
      renderBreakers(breakers);
      setState('ready', `Updated ${new Date().toLocaleTimeString(undefined, { timeZone })}`);
      refreshTimer = setTimeout(load, REFRESH_MS);
    } catch (error) {
      if (error instanceof AuthError) {
        sessionStorage.removeItem(KEY_STORAGE);
        showLogin('That key was refused.');
        return;
      }
      setState('error', `Could not load the dashboard: ${error.message}`);
    }
  }

  function showLogin(message) {
    byId('login').hidden = false;
    byId('content').hidden = true;
    byId('refresh').hidden = true;
    byId('forget').hidden = true;
    byId('login-error').textContent = message || '';
    setState('locked');
    byId('api-key').focus();
  }

  function showContent() {
    byId('login').hidden = true;
    byId('content').hidden = false;
    byId('refresh').hidden = false;
    byId('forget').hidden = false;
  }

  byId('time-zone').textContent = timeZone;
  byId('key-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = byId('api-key');
    sessionStorage.setItem(KEY_STORAGE, input.value.trim());
    input.value = '';
    void load();
  });
  byId('refresh').addEventListener('click', () => void load());
  byId('forget').addEventListener('click', () => {
    clearTimeout(refreshTimer);
    sessionStorage.removeItem(KEY_STORAGE);
    showLogin();
  });

  if (sessionStorage.getItem(KEY_STORAGE)) void load();
  else showLogin();
})();
