/*
 * Costs (the former /dashboard): the last 30 days in the browser's time zone — daily cost,
 * by category, by model, the unconfirmed part — the month's projection, budgets (spent,
 * projected, limit, when the pace crosses it) and recent alerts. Money arrives as exact
 * decimal strings: tables show them as they are; only the charts turn them into numbers.
 */
import { api, query } from '../lib/api.js';
import { addDays, card, formatInstant, h, localToday, replace, table, timeZone, usd } from '../lib/dom.js';

const REPORT_DAYS = 30;
const COLORS = ['#2e6bd1', '#e07a1f', '#2f9e6e', '#c2417a', '#7a5bd1', '#8a97a8', '#d1b82e', '#1f9bb5', '#a4532f', '#4d6b2f'];
const BASE_OPTIONS = { animation: false, responsive: true, maintainAspectRatio: false };

export default {
  title: 'Costs',
  async render(view, ctx) {
    const { signal } = ctx;
    const end = localToday();
    const start = addDays(end, -(REPORT_DAYS - 1));
    const [report, budgets, alerts] = await Promise.all([
      api(`/api/v1/cost/report${query({ start, end, timeZone })}`, { signal }),
      api('/api/v1/cost/budgets', { signal }),
      api('/api/v1/cost/alerts?limit=10', { signal }),
    ]);
    const charts = [];
    signal.addEventListener('abort', () => charts.forEach((chart) => chart.destroy()));
    const canvas = (id, label) => h('div', { class: 'chart' }, h('canvas', { id, 'aria-label': label }));
    const month = report.projectedMonthly;

    replace(
      view,
      h(
        'div',
        { class: 'grid' },
        card(
          `Last ${REPORT_DAYS} days`,
          h('p', { class: 'figure', id: 'period-cost', text: usd(report.totalCostUsd) }),
          h('p', { id: 'period-tokens', text: `${report.totalTokens.toLocaleString()} tokens, ${report.periodStart} – ${report.periodEnd}` }),
          // Calls sent whose answer was never recorded: counted in the total, shown apart.
          h('p', { id: 'period-unconfirmed', text: report.unconfirmedTokens > 0 ? `of which unconfirmed: ${usd(report.unconfirmedCostUsd)}` : '' }),
        ),
        card(
          `${month.month} projected`,
          h('p', { class: 'figure', id: 'month-projected', text: usd(month.projectedCostUsd) }),
          h('p', { id: 'month-to-date', text: `${usd(month.monthToDateCostUsd)} so far, pace ${usd(month.dailyPaceUsd)}/day` }),
        ),
      ),
      card('Daily cost (USD)', canvas('daily-cost-chart', 'Daily cost')),
      h(
        'div',
        { class: 'grid' },
        card('Cost by category', canvas('category-chart', 'Cost by category')),
        card('Cost by model', canvas('model-chart', 'Cost by model')),
      ),
      card(
        'Budgets: spent and projected against the limit',
        budgets.length === 0
          ? h('p', { id: 'no-budgets', text: 'No budgets yet (an admin creates them with POST /api/v1/cost/budgets).' })
          : canvas('budget-chart', 'Budgets'),
        table(
          [
            { label: 'Budget', value: (s) => s.budget.name },
            { label: 'Period', value: (s) => `${s.budget.period} from ${s.period.start}` },
            {
              label: 'Spent',
              value: (s) => h('span', { class: s.exceeded ? 'level-exceeded' : '', text: `${usd(s.spentUsd)} (${s.percentUsed}%)` }),
              class: 'number',
            },
            { label: 'Limit', value: (s) => usd(s.budget.limitUsd), class: 'number' },
            { label: 'Projected', value: (s) => usd(s.projectedPeriodCostUsd), class: 'number' },
            { label: 'Pace crosses limit', value: (s) => (s.exceeded ? 'exceeded' : (s.crossesOn ?? 'not this period')) },
          ],
          budgets,
          { id: 'budgets', empty: 'No budgets.' },
        ),
      ),
      card(
        'Recent alerts',
        table(
          [
            { label: 'Fired', value: (a) => formatInstant(a.firedAt) },
            { label: 'Budget', value: (a) => a.budgetName },
            { label: 'Level', value: (a) => h('span', { class: `level-${a.level}`, text: a.level }) },
            { label: 'Threshold', value: (a) => `${a.thresholdPercent}%`, class: 'number' },
            { label: 'Spent / limit', value: (a) => `${usd(a.spentUsd)} / ${usd(a.limitUsd)}`, class: 'number' },
            { label: 'Webhook', value: (a) => `${a.webhook.status}${a.webhook.attempts ? ` (${a.webhook.attempts} attempts)` : ''}` },
          ],
          alerts.items,
          { id: 'alerts', empty: 'No alerts.' },
        ),
      ),
    );

    const Chart = globalThis.Chart;
    if (!Chart) throw new Error('Chart.js did not load');
    const draw = (id, config) => charts.push(new Chart(document.getElementById(id), config));
    const number = (value) => Number(value);
    draw('daily-cost-chart', {
      type: 'bar',
      data: {
        labels: report.byDay.map((day) => day.date),
        datasets: [{ label: 'USD', data: report.byDay.map((day) => number(day.costUsd)), backgroundColor: COLORS[0] }],
      },
      options: { ...BASE_OPTIONS, plugins: { legend: { display: false } } },
    });
    draw('category-chart', {
      type: 'doughnut',
      data: {
        labels: report.byCategory.map((row) => row.category ?? '(none: search)'),
        datasets: [{ data: report.byCategory.map((row) => number(row.costUsd)), backgroundColor: COLORS }],
      },
      options: { ...BASE_OPTIONS, plugins: { legend: { position: 'right' } } },
    });
    draw('model-chart', {
      type: 'bar',
      data: {
        labels: report.byModel.map((row) => row.model),
        datasets: [{ label: 'USD', data: report.byModel.map((row) => number(row.costUsd)), backgroundColor: COLORS.slice(1) }],
      },
      options: { ...BASE_OPTIONS, indexAxis: 'y', plugins: { legend: { display: false } } },
    });
    if (budgets.length > 0) {
      draw('budget-chart', {
        type: 'bar',
        data: {
          labels: budgets.map((s) => s.budget.name),
          datasets: [
            { label: 'Spent', data: budgets.map((s) => number(s.spentUsd)), backgroundColor: COLORS[0] },
            { label: 'Projected', data: budgets.map((s) => number(s.projectedPeriodCostUsd)), backgroundColor: COLORS[1] },
            { label: 'Limit', data: budgets.map((s) => number(s.budget.limitUsd)), backgroundColor: COLORS[5] },
          ],
        },
        options: { ...BASE_OPTIONS, indexAxis: 'y' },
      });
    }
  },
};
