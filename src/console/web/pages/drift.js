/*
 * Drift: the checks over time (mean and lowest similarity of fresh vs stored vectors, drawn
 * against the tolerance) and each report; an admin runs a check (it spends tokens) and
 * watches it finish.
 */
import { api } from '../lib/api.js';
import { confirmAction } from '../lib/confirm.js';
import { actionButton } from '../lib/controls.js';
import { badge, card, field, formatInstant, formatNumber, h, progressBar, replace, select, table } from '../lib/dom.js';

const CHECKS_SHOWN = 50;
const WATCH_MS = 1_000;
const COLORS = ['#2e6bd1', '#e07a1f', '#8a97a8'];

export default {
  title: 'Drift',
  async render(view, ctx) {
    const { signal } = ctx;
    const [models, first] = await Promise.all([api('/api/v1/models', { signal }), api(`/api/v1/compare/drift?limit=${CHECKS_SHOWN}`, { signal })]);
    const chartHolder = h(
      'div',
      { class: 'chart' },
      h('canvas', { id: 'drift-chart', 'aria-label': 'Mean and lowest similarity of each drift check over time' }),
    );
    const checks = h('div', { id: 'drift-checks' });
    let chart = null;
    let page = first;
    const draw = () => {
      replace(checks, checksTable(page.items, ctx, reload));
      chart?.destroy();
      chart = drawChart(chartHolder.firstChild, page.items);
    };
    const reload = async () => {
      page = await api(`/api/v1/compare/drift?limit=${CHECKS_SHOWN}`, { signal });
      draw();
    };
    signal.addEventListener('abort', () => chart?.destroy());

    replace(
      view,
      ctx.admin(checkForm(models, ctx, reload)),
      card(
        'Similarity of fresh to stored vectors, over time',
        chartHolder,
        h('p', { class: 'hint', text: 'One pair below the tolerance makes a check "drifted".' }),
      ),
      card('Checks', checks),
    );
    draw();
    ctx.every(WATCH_MS, async () => {
      if (page.items.some((check) => check.status === 'queued' || check.status === 'running')) await reload();
    });
  },
};

function checkForm(models, ctx, reload) {
  const sampleSize = h('input', { type: 'number', name: 'sampleSize', min: 1, max: 5000, step: 1, value: '100', required: true });
  const model = select(
    { name: 'model' },
    models.map((m) => [m.name, `${m.name}${m.active ? ' (active)' : ''}`]),
    models.find((m) => m.active)?.name,
  );
  const tolerance = h('input', { type: 'number', name: 'tolerance', min: 0, max: 1, step: 0.0001, placeholder: 'server default (0.999)' });
  return card(
    'Run a check',
    h(
      'form',
      {
        class: 'inline-form',
        id: 'drift-form',
        onsubmit: async (event) => {
          event.preventDefault();
          const body = { sampleSize: Number(sampleSize.value), model: model.value };
          if (tolerance.value !== '') body.tolerance = Number(tolerance.value);
          const confirmed = await confirmAction({
            title: `Re-embed ${body.sampleSize} pairs under ${body.model}?`,
            message: 'A drift check spends tokens (ledger purpose drift).',
            confirmLabel: 'Run the check',
          });
          if (!confirmed) return;
          const started = await ctx.act('Start the drift check', () => api('/api/v1/compare/drift', { method: 'POST', body, signal: ctx.signal }));
          if (started) await reload();
        },
      },
      field('Pairs to re-embed', sampleSize),
      field('Model', model),
      field('Tolerance', tolerance, 'lowest acceptable cosine'),
      h('button', { type: 'submit', class: 'primary', text: 'Run check' }),
    ),
  );
}

function checksTable(items, ctx, reload) {
  return table(
    [
      { label: 'Started', value: (c) => formatInstant(c.createdAt) },
      { label: 'Model', value: (c) => c.model },
      {
        label: 'Status',
        value: (c) =>
          c.status === 'completed' ? badge(c.report?.verdict ?? 'completed') : h('span', {}, badge(c.status), c.error ? ` ${c.error}` : ''),
      },
      { label: 'Progress', value: (c) => (c.status === 'completed' ? '' : progressBar(c.progress * 100, 'Drift check progress')) },
      {
        label: 'Compared',
        value: (c) =>
          c.report ? `${formatNumber(c.report.sampleSize)} of ${formatNumber(c.report.requestedSampleSize)}` : formatNumber(c.sampleSize),
        class: 'number',
      },
      { label: 'Mean', value: (c) => similarity(c.report?.meanSimilarity), class: 'number' },
      { label: 'Lowest', value: (c) => similarity(c.report?.minSimilarity), class: 'number' },
      { label: '5th pct', value: (c) => similarity(c.report?.p5Similarity), class: 'number' },
      { label: 'Below tolerance', value: (c) => (c.report ? `${c.report.belowTolerance} (< ${c.tolerance})` : ''), class: 'number' },
      { label: 'Tokens', value: (c) => (c.report ? formatNumber(c.report.tokens) : ''), class: 'number' },
      {
        label: '',
        value: (c) =>
          c.status === 'failed' || c.status === 'interrupted'
            ? actionButton(ctx, {
                label: 'Retry',
                'aria-label': `Run the drift check of ${formatInstant(c.createdAt)} again (spends tokens)`,
                confirm: { title: 'Run this drift check again?', message: 'It re-embeds its sample: it spends tokens again.' },
                run: () => api(`/api/v1/compare/drift/${c.id}/retry`, { method: 'POST', signal: ctx.signal }),
                after: reload,
              })
            : null,
      },
    ],
    items,
    { empty: 'No drift checks yet.', id: 'drift-table' },
  );
}

function similarity(value) {
  return value === null || value === undefined ? '—' : Number(value).toFixed(6);
}

function drawChart(canvas, items) {
  const Chart = globalThis.Chart;
  const reports = items.filter((c) => c.report && c.report.sampleSize > 0).reverse();
  if (!Chart || reports.length === 0) return null;
  return new Chart(canvas, {
    type: 'line',
    data: {
      labels: reports.map((c) => formatInstant(c.report.checkedAt)),
      datasets: [
        { label: 'mean', data: reports.map((c) => c.report.meanSimilarity), borderColor: COLORS[0], backgroundColor: COLORS[0] },
        { label: 'lowest', data: reports.map((c) => c.report.minSimilarity), borderColor: COLORS[1], backgroundColor: COLORS[1] },
        { label: 'tolerance', data: reports.map((c) => c.tolerance), borderColor: COLORS[2], borderDash: [4, 4], pointRadius: 0 },
      ],
    },
    options: { animation: false, responsive: true, maintainAspectRatio: false },
  });
}
