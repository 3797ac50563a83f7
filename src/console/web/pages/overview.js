/*
 * Overview: is it up, is work flowing, is anything forced or open, how much has been spent
 * against the budgets, which migrations are moving, the latest cost alerts. Refreshes itself.
 */
import { api, query } from '../lib/api.js';
import { queueFacts } from './queue.js';
import { badge, card, facts, formatDuration, formatInstant, h, localToday, progressBar, replace, table, timeZone, usd } from '../lib/dom.js';

const REFRESH_MS = 15_000;
const IN_PROGRESS = new Set(['running', 'paused', 'ready']);

export default {
  title: 'Overview',
  async render(view, ctx) {
    const draw = async () => {
      const { signal } = ctx;
      const today = localToday();
      const monthStart = `${today.slice(0, 8)}01`;
      const [health, stats, breakers, report, budgets, migrations, alerts] = await Promise.all([
        api('/health', { signal, accept: [503] }),
        api('/api/v1/queue/stats', { signal }),
        api('/api/v1/circuit-breakers', { signal }),
        api(`/api/v1/cost/report${query({ start: monthStart, end: today, timeZone })}`, { signal }),
        api('/api/v1/cost/budgets', { signal }),
        api('/api/v1/migrations?limit=20', { signal }),
        api('/api/v1/cost/alerts?limit=5', { signal }),
      ]);
      replace(
        view,
        h(
          'div',
          { class: 'grid' },
          healthCard(health),
          queueCard(stats),
          breakersCard(breakers),
          spendCard(report, budgets),
          migrationsCard(migrations.items.filter((m) => IN_PROGRESS.has(m.state))),
          alertsCard(alerts.items),
        ),
      );
    };
    await draw();
    ctx.every(REFRESH_MS, draw);
  },
};

function healthCard(health) {
  const dependency = (name, d) => [
    name,
    h(
      'span',
      {},
      badge(d.ok ? 'ok' : 'down', d.ok ? 'up' : 'down'),
      d.latencyMs !== undefined ? ` ${d.latencyMs} ms` : '',
      d.error ? ` — ${d.error}` : '',
    ),
  ];
  return card(
    'Health',
    h('p', { id: 'health-status' }, badge(health.status === 'ok' ? 'ok' : 'down', health.status)),
    facts([dependency('PostgreSQL', health.postgres), dependency('Redis', health.redis)]),
  );
}

function queueCard(stats) {
  return card('Queue', queueFacts(stats), h('p', {}, h('a', { href: '#/queue', text: 'Queue and dead letters →' })));
}

function breakersCard(breakers) {
  return card(
    'Circuit breakers',
    breakers.length === 0
      ? h('p', { text: 'None configured (the offline model needs none).' })
      : h(
          'ul',
          { id: 'overview-breakers' },
          breakers.map((b) =>
            h(
              'li',
              {},
              `${b.name}: `,
              badge(b.state),
              b.forced ? ` forced ${b.forced}` : '',
              b.openCause ? ` (${b.openCause.replaceAll('_', ' ')})` : '',
            ),
          ),
        ),
    h('p', {}, h('a', { href: '#/breakers', text: 'Breakers and rate budgets →' })),
  );
}

function spendCard(report, budgets) {
  const month = report.projectedMonthly;
  return card(
    'Spend this month',
    h('p', { class: 'figure', id: 'month-to-date', text: usd(month?.monthToDateCostUsd ?? report.totalCostUsd) }),
    h('p', { text: month ? `projected ${usd(month.projectedCostUsd)} for ${month.month}, pace ${usd(month.dailyPaceUsd)}/day` : '' }),
    budgets.length === 0
      ? h('p', { class: 'hint', text: 'No budgets (an admin sets them with POST /api/v1/cost/budgets).' })
      : table(
          [
            { label: 'Budget', value: (s) => s.budget.name },
            { label: 'Period', value: (s) => s.budget.period },
            {
              label: 'Spent / limit',
              value: (s) =>
                h(
                  'span',
                  { class: s.exceeded ? 'level-exceeded' : '' },
                  h('meter', {
                    min: 0,
                    max: Number(s.budget.limitUsd),
                    high: Number(s.budget.limitUsd) * 0.8,
                    value: Number(s.spentUsd),
                    'aria-label': `${s.budget.name}: spent against limit`,
                  }),
                  ` ${usd(s.spentUsd)} / ${usd(s.budget.limitUsd)} (${s.percentUsed}%)`,
                ),
            },
          ],
          budgets,
          { id: 'overview-budgets' },
        ),
    h('p', {}, h('a', { href: '#/costs', text: 'Costs →' })),
  );
}

function migrationsCard(items) {
  return card(
    'Migrations in progress',
    table(
      [
        { label: 'Models', value: (m) => h('a', { href: `#/migrations/${m.id}`, text: `${m.fromModel} → ${m.toModel}` }) },
        { label: 'State', value: (m) => badge(m.state) },
        { label: 'Progress', value: (m) => progressBar(m.progress.percentage, `${m.fromModel} to ${m.toModel}`) },
        { label: 'ETA', value: (m) => formatDuration(m.etaSeconds) },
      ],
      items,
      { empty: 'None in progress.', id: 'overview-migrations' },
    ),
    h('p', {}, h('a', { href: '#/migrations', text: 'Migrations →' })),
  );
}

function alertsCard(alerts) {
  return card(
    'Latest cost alerts',
    table(
      [
        { label: 'Fired', value: (a) => formatInstant(a.firedAt) },
        { label: 'Budget', value: (a) => a.budgetName },
        { label: 'Level', value: (a) => h('span', { class: `level-${a.level}`, text: a.level }) },
        { label: 'Spent / limit', value: (a) => `${usd(a.spentUsd)} / ${usd(a.limitUsd)}`, class: 'number' },
      ],
      alerts,
      { empty: 'No alerts.', id: 'overview-alerts' },
    ),
  );
}
