/*
 * Migrations: estimate (with what the quality gate will cost and whether it can judge),
 * start, the list, and one migration live: its progress from the SSE stream with rate and
 * ETA, the window pacing, the quality gate's verdict and figures, the neighbour comparison,
 * shadow searches; an admin pauses, resumes, cancels, cuts over (with a reason when the gate
 * held it), rolls back and cleans up.
 *
 * Lanes: a migration's backfill may run on more than one lane (the live queue; OpenAI's Batch
 * API). Everything lane-specific is in `laneRows` (the estimate), `laneField` (the start form)
 * and `batchesCard` (a running migration): each shows what the API sends and nothing when it
 * sends nothing, so a new lane needs changes there only.
 */
import { api, ApiError, readEvents } from '../lib/api.js';
import { confirmAction } from '../lib/confirm.js';
import { actionButton } from '../lib/controls.js';
import {
  badge,
  card,
  facts,
  field,
  formatDuration,
  formatInstant,
  formatNumber,
  formatScore,
  h,
  progressBar,
  replace,
  select,
  table,
  usd,
} from '../lib/dom.js';

const SETTLED = new Set(['ready', 'cut_over', 'rolled_back', 'cancelled', 'failed']);
const CLEANABLE = new Set(['cut_over', 'rolled_back', 'cancelled', 'failed']);
const GATE_METRICS = ['recall@1', 'recall@5', 'recall@10', 'mrr@10', 'ndcg@10'];
/** Polling when the stream cannot be had (this key already holds its SSE_MAX_STREAMS_PER_KEY). */
const POLL_MS = 2_000;
const RECONNECT_MS = 2_000;

export default {
  title: 'Migrations',
  async render(view, ctx, [id]) {
    if (id) await renderDetail(view, ctx, id);
    else await renderList(view, ctx);
  },
};

// ---- list, estimate, start -------------------------------------------------------------

async function renderList(view, ctx) {
  const { signal } = ctx;
  const [models, page] = await Promise.all([api('/api/v1/models', { signal }), api('/api/v1/migrations?limit=20', { signal })]);
  const active = models.find((m) => m.active)?.name;
  const from = select(
    { name: 'fromModel', required: true },
    models.map((m) => [m.name, `${m.name}${m.active ? ' (active)' : ''}`]),
    active,
  );
  const to = select(
    { name: 'toModel', required: true },
    models.map((m) => [m.name, m.name]),
    models.find((m) => !m.active)?.name,
  );
  const result = h('div', { id: 'estimate' });
  const start = h('div', { id: 'start' });

  const estimate = async () => {
    const body = { fromModel: from.value, toModel: to.value };
    const answer = await ctx.act('Estimate', () => api('/api/v1/migrations/estimate', { method: 'POST', body, signal }));
    if (!answer) return;
    replace(result, estimateView(answer));
    replace(start, ctx.admin(startForm(body, answer, ctx)) ?? h('p', { class: 'hint', text: 'Starting a migration needs an admin key.' }));
  };

  replace(
    view,
    card(
      'Estimate a migration',
      h(
        'form',
        {
          class: 'inline-form',
          id: 'estimate-form',
          onsubmit: (event) => {
            event.preventDefault();
            void estimate();
          },
        },
        field('From (the active model)', from),
        field('To', to),
        h('button', { type: 'submit', class: 'primary', text: 'Estimate' }),
      ),
      result,
      start,
    ),
    card(
      'Migrations',
      table(
        [
          { label: 'Started', value: (m) => h('a', { href: `#/migrations/${m.id}`, text: formatInstant(m.createdAt) }) },
          { label: 'Models', value: (m) => `${m.fromModel} → ${m.toModel}` },
          { label: 'State', value: (m) => badge(m.state) },
          { label: 'Progress', value: (m) => progressBar(m.progress.percentage, `${m.fromModel} to ${m.toModel}`) },
          { label: 'Gate', value: (m) => (m.gate?.verdict ? badge(m.gate.verdict) : '—') },
          { label: 'ETA', value: (m) => (SETTLED.has(m.state) ? '' : formatDuration(m.etaSeconds)) },
        ],
        page.items,
        { empty: 'No migrations yet.', id: 'migration-list' },
      ),
    ),
  );
}

function estimateView(estimate) {
  const gate = estimate.qualityGate;
  return h(
    'div',
    { class: 'grid' },
    card(
      'Cost and time',
      facts([
        ['pairs to embed', formatNumber(estimate.pairs)],
        [
          'tokens',
          `${formatNumber(estimate.tokens)} (${formatNumber(estimate.pairsWithStoredTokenCounts)} pairs counted from the source's stored counts)`,
        ],
        ['cost', `${usd(estimate.costUsd)} at ${usd(estimate.pricePerMillionTokens)} per 1M tokens`],
        ['provider requests', formatNumber(estimate.requests)],
        [
          'rate limits allow',
          estimate.rateLimit?.seconds === null || estimate.rateLimit === undefined
            ? 'no limit configured'
            : formatDuration(estimate.rateLimit.seconds),
        ],
        [
          'measured throughput',
          estimate.throughput?.pairsPerSecond
            ? `${formatNumber(estimate.throughput.pairsPerSecond, 1)} pairs/s (${estimate.throughput.source})`
            : 'not measured yet',
        ],
        ['ETA', h('strong', { text: formatDuration(estimate.etaSeconds) })],
      ]),
      laneRows(estimate),
    ),
    card(
      'Quality gate',
      gate
        ? [
            facts([
              ['labelled queries', formatNumber(gate.labelledQueries)],
              ['captured queries', formatNumber(gate.capturedQueries)],
              ['query tokens', formatNumber(gate.tokens)],
              ['cost', usd(gate.costUsd)],
            ]),
            gate.warning
              ? h('p', { class: 'warning', id: 'gate-warning', role: 'note', text: gate.warning })
              : h('p', { class: 'hint', text: 'Both models are evaluated on the labelled queries before the cutover.' }),
          ]
        : h('p', { class: 'hint', text: 'This estimate says nothing about the gate.' }),
    ),
  );
}

/** The lanes side by side, when the estimate has them (`lanes: { live, batch }`). */
function laneRows(estimate) {
  if (!estimate.lanes) return null;
  return table(
    [
      { label: 'Lane', value: ([name]) => name },
      { label: 'Cost', value: ([, lane]) => usd(lane.costUsd), class: 'number' },
      { label: 'ETA', value: ([, lane]) => formatDuration(lane.etaSeconds), class: 'number' },
      { label: 'Batches', value: ([, lane]) => (lane.batches === undefined ? '' : formatNumber(lane.batches)), class: 'number' },
    ],
    Object.entries(estimate.lanes),
    { caption: 'By lane', id: 'estimate-lanes' },
  );
}

function laneField(estimate) {
  if (!estimate.lanes) return { control: null, read: () => ({}) };
  const lane = select({ name: 'lane' }, Object.keys(estimate.lanes), 'live');
  return { control: field('Lane', lane), read: () => ({ lane: lane.value }) };
}

function startForm(models, estimate, ctx) {
  const batchSize = h('input', { type: 'number', name: 'batchSize', min: 1, max: 2048, step: 1, value: '100', required: true });
  const autoCutover = h('input', { type: 'checkbox', name: 'autoCutover', checked: true });
  const maxFailureShare = h('input', { type: 'number', name: 'maxFailureShare', min: 0, max: 1, step: 0.01, placeholder: 'server default' });
  const metric = select({ name: 'gateMetric' }, [['', 'server default'], ...GATE_METRICS.map((m) => [m, m])], '');
  const margin = h('input', { type: 'number', name: 'gateMargin', min: 0, max: 1, step: 0.001, placeholder: 'server default' });
  const lane = laneField(estimate);
  return h(
    'form',
    {
      class: 'start-form',
      id: 'start-form',
      'aria-label': 'Start the migration',
      onsubmit: async (event) => {
        event.preventDefault();
        const body = { ...models, batchSize: Number(batchSize.value), autoCutover: autoCutover.checked, ...lane.read() };
        if (maxFailureShare.value !== '') body.maxFailureShare = Number(maxFailureShare.value);
        const gate = {};
        if (metric.value) gate.metric = metric.value;
        if (margin.value !== '') gate.margin = Number(margin.value);
        if (Object.keys(gate).length) body.gate = gate;
        const confirmed = await confirmAction({
          title: `Migrate ${models.fromModel} → ${models.toModel}?`,
          message:
            `About ${formatNumber(estimate.pairs)} pairs, ${usd(estimate.costUsd)}, ${formatDuration(estimate.etaSeconds)}. ` +
            'Every create and edit is embedded for both models from now on; search stays on the old model until the cutover.',
          confirmLabel: 'Start',
        });
        if (!confirmed) return;
        const started = await ctx.act('Start the migration', () => api('/api/v1/migrations', { method: 'POST', body, signal: ctx.signal }));
        if (started) ctx.navigate(`#/migrations/${started.id}`);
      },
    },
    h('h3', { text: 'Start it' }),
    h('div', { class: 'form-grid' }, [
      field('Batch size', batchSize, 'pairs enqueued per step'),
      field('Cut over by itself once filled and the gate passes', autoCutover),
      field('Stop above this failure share', maxFailureShare, '0–1'),
      field('Gate metric', metric),
      field('Gate margin', margin, 'how far the new model may fall below the old'),
      lane.control,
    ]),
    h('button', { type: 'submit', class: 'primary', text: 'Start migration' }),
  );
}

// ---- one migration ---------------------------------------------------------------------

async function renderDetail(view, ctx, id) {
  let live = null;
  const draw = async () => {
    live?.abort();
    live = new AbortController();
    ctx.signal.addEventListener('abort', () => live.abort(), { once: true });
    const migration = await api(`/api/v1/migrations/${encodeURIComponent(id)}`, { signal: ctx.signal });
    const progress = progressView(migration);
    replace(
      view,
      h('p', {}, h('a', { href: '#/migrations', text: '← All migrations' })),
      h(
        'div',
        { class: 'grid' },
        progress.node,
        actionsCard(migration, ctx, draw),
        gateCard(migration),
        comparisonCard(migration),
        shadowCard(migration),
        pacingCard(migration),
        batchesCard(migration),
      ),
      card('As estimated at the start', estimateView(migration.estimate)),
    );
    if (!SETTLED.has(migration.state)) void follow(migration, progress.update, live.signal, ctx, draw);
  };
  await draw();
}

/** The live part: state, bar, counts, rate and ETA, updated from each event. */
function progressView(migration) {
  const state = h('span', { id: 'migration-state' });
  const bar = h('div', { id: 'migration-progress' });
  const counts = h('p', {});
  const rate = h('p', { id: 'migration-eta' });
  const update = (m) => {
    replace(state, badge(m.state));
    replace(bar, progressBar(m.progress.percentage, 'Migration progress'));
    counts.textContent = `${formatNumber(m.progress.completed)} embedded, ${formatNumber(m.progress.failed)} failed, of ${formatNumber(m.progress.total)} pairs`;
    rate.textContent =
      m.state === 'running'
        ? `${m.pairsPerSecond === null ? 'rate not measured yet' : `${formatNumber(m.pairsPerSecond, 1)} pairs/s`}; ETA ${m.etaSeconds === null ? 'unknown' : formatDuration(m.etaSeconds)}`
        : m.state === 'paused'
          ? 'paused: no ETA'
          : '';
  };
  update(migration);
  const node = card(
    `${migration.fromModel} → ${migration.toModel}`,
    h('p', {}, 'State: ', state, migration.lane ? ` on the ${migration.lane} lane` : ''),
    bar,
    counts,
    rate,
    facts([
      ['pass', formatNumber(migration.pass)],
      ['batch size', formatNumber(migration.batchSize)],
      ['cuts over by itself', migration.autoCutover ? 'yes, if the gate passes' : 'no'],
      ['failure limit', `${formatNumber(migration.maxFailureShare * 100, 2)}%`],
      ['reason', migration.reason ?? undefined],
      ['started', formatInstant(migration.createdAt)],
      ['filled', migration.filledAt ? formatInstant(migration.filledAt) : undefined],
      ['cut over', migration.cutOverAt ? formatInstant(migration.cutOverAt) : undefined],
      ['cutover reason', migration.cutoverReason ?? undefined],
      ['rolled back', migration.rolledBackAt ? formatInstant(migration.rolledBackAt) : undefined],
      ['ended', migration.endedAt ? formatInstant(migration.endedAt) : undefined],
      [
        'cleanup',
        migration.cleanedAt
          ? `done ${formatInstant(migration.cleanedAt)}`
          : migration.cleanupRequestedAt
            ? `requested ${formatInstant(migration.cleanupRequestedAt)}`
            : undefined,
      ],
    ]),
  );
  return { node, update };
}

/**
 * Follows the SSE stream (with the key in a header) until the migration settles, then draws
 * the whole migration again (its gate and comparison are set by then). A server going down
 * sends `shutdown`: reconnect. Over this key's stream limit (429): poll instead.
 */
async function follow(migration, update, signal, ctx, redraw) {
  const path = `/api/v1/migrations/${encodeURIComponent(migration.id)}/events`;
  let settled = false;
  while (!signal.aborted && !settled) {
    try {
      await readEvents(path, {
        signal,
        onEvent: ({ event, data }) => {
          if (event !== 'message') return;
          update(data);
          if (SETTLED.has(data.state)) settled = true;
        },
      });
      if (!settled) await sleep(RECONNECT_MS, signal);
    } catch (error) {
      if (signal.aborted) return;
      if (error instanceof ApiError && error.status === 429) {
        settled = await poll(migration.id, update, signal);
      } else {
        ctx.fail(error, 'Progress stream');
        await sleep(RECONNECT_MS * 2, signal);
      }
    }
  }
  if (!signal.aborted && settled) await redraw().catch((error) => ctx.fail(error));
}

async function poll(id, update, signal) {
  while (!signal.aborted) {
    const migration = await api(`/api/v1/migrations/${encodeURIComponent(id)}`, { signal });
    update(migration);
    if (SETTLED.has(migration.state)) return true;
    await sleep(POLL_MS, signal);
  }
  return false;
}

function sleep(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function actionsCard(migration, ctx, redraw) {
  if (!ctx.isAdmin) return null;
  const path = `/api/v1/migrations/${encodeURIComponent(migration.id)}`;
  const held = migration.gate?.verdict === 'held';
  const action = (name, label, { confirm } = {}) =>
    actionButton(ctx, {
      label,
      class: confirm?.danger ? 'danger' : '',
      dataset: { action: name },
      confirm,
      run: (reason) => api(`${path}/${name}`, { method: 'POST', body: reason ? { reason } : {}, signal: ctx.signal }),
      after: redraw,
    });
  const buttons = [];
  const state = migration.state;
  if (state === 'running') buttons.push(action('pause', 'Pause'));
  if (state === 'paused') buttons.push(action('resume', 'Resume'));
  if (state === 'ready')
    buttons.push(
      action('cutover', 'Cut over', {
        confirm: {
          title: 'Switch search to the new model?',
          message: held
            ? `The quality gate held this migration: ${migration.gate.message ?? 'the new model scored lower'}. Cutting over anyway needs a reason, which is recorded.`
            : 'Search answers from the new model from the next query; the old one is kept current for a rollback.',
          reason: held ? 'required' : 'optional',
          reasonLabel: 'Why cut over',
          danger: held,
        },
      }),
    );
  if (state === 'cut_over')
    buttons.push(
      action('rollback', 'Roll back', {
        confirm: { title: 'Switch search back to the old model?', message: 'It has every edit since the cutover.', danger: true },
      }),
    );
  if (['running', 'paused', 'ready'].includes(state))
    buttons.push(
      action('cancel', 'Cancel', {
        confirm: {
          title: 'Cancel this migration?',
          message: "Search stays on the old model; the new model's vectors stay until a cleanup.",
          danger: true,
        },
      }),
    );
  if (['running', 'paused', 'ready', 'cut_over'].includes(state)) buttons.push(action('comparison', 'Compare neighbours now'));
  if (CLEANABLE.has(state) && !migration.cleanupRequestedAt)
    buttons.push(
      action('cleanup', 'Clean up', {
        confirm: {
          title: "Delete the losing model's vectors?",
          message: state === 'cut_over' ? 'The old model loses its vectors: no rollback after this.' : "The new model's vectors are deleted.",
          danger: true,
        },
      }),
    );
  return ctx.admin(
    card('Actions', buttons.length ? h('div', { class: 'actions', id: 'migration-actions' }, buttons) : h('p', { text: 'Nothing left to do.' })),
  );
}

function gateCard(migration) {
  const gate = migration.gate;
  if (!gate) return null;
  const metrics = GATE_METRICS.filter((m) => gate.source?.scores?.[m] !== undefined || gate.target?.scores?.[m] !== undefined);
  return card(
    'Quality gate',
    h(
      'p',
      { id: 'gate-verdict' },
      'Verdict: ',
      gate.verdict ? badge(gate.verdict) : h('span', { class: 'hint', text: 'not judged yet (once the target is filled)' }),
    ),
    gate.message ? h('p', { class: gate.verdict === 'held' ? 'warning' : 'hint', text: gate.message }) : null,
    facts([
      ['metric', gate.metric],
      ['margin', formatScore(gate.margin)],
      ['difference (new − old)', gate.difference === null ? undefined : formatScore(gate.difference)],
      ['judged', gate.judgedAt ? formatInstant(gate.judgedAt) : undefined],
      ['cutover reason', migration.cutoverReason ?? undefined],
    ]),
    metrics.length
      ? table(
          [
            { label: 'Metric', value: (m) => (m === gate.metric ? h('strong', { text: m }) : m) },
            { label: `Old (${gate.source?.model ?? migration.fromModel})`, value: (m) => formatScore(gate.source?.scores?.[m]), class: 'number' },
            { label: `New (${gate.target?.model ?? migration.toModel})`, value: (m) => formatScore(gate.target?.scores?.[m]), class: 'number' },
          ],
          metrics,
          { id: 'gate-scores', caption: `On ${formatNumber(gate.source?.scores?.queries ?? 0)} labelled queries` },
        )
      : null,
    gate.target?.agreement
      ? h('p', {
          text: `Agreement with the old model on ${formatNumber(gate.target.agreement.queries)} captured queries: overlap@10 ${formatScore(gate.target.agreement.overlapAt10)}, rank-biased ${formatScore(gate.target.agreement.rankBiasedOverlap)}`,
        })
      : null,
  );
}

function comparisonCard(migration) {
  const c = migration.comparison;
  return card(
    'Neighbour comparison',
    c
      ? [
          facts([
            ['mean overlap', formatScore(c.meanOverlap)],
            ['median', formatScore(c.medianOverlap)],
            ['10th percentile', formatScore(c.p10Overlap)],
            ['lowest', formatScore(c.minOverlap)],
            ['sample', `${formatNumber(c.sampleSize)} pairs, top ${c.k}`],
            ['target coverage', c.targetCoverage < 1 ? `${formatScore(c.targetCoverage)} (understates the overlap)` : '1'],
            ['computed', formatInstant(c.computedAt)],
          ]),
          c.lowest?.length
            ? h(
                'details',
                {},
                h('summary', { text: 'Pairs the models disagree on most' }),
                h(
                  'ul',
                  {},
                  c.lowest.map((p) => h('li', {}, h('code', { text: p.qaPairId }), ` ${formatScore(p.overlap)}`)),
                ),
              )
            : null,
        ]
      : h('p', { class: 'hint', text: 'Computed once the target is filled.' }),
  );
}

function shadowCard(migration) {
  const s = migration.shadow;
  if (!s) return null;
  return card(
    'Shadow searches',
    s.searches === 0
      ? h('p', { class: 'hint', text: 'None (SEARCH_SHADOW_SHARE is 0, or no searches yet).' })
      : facts([
          ['searches', formatNumber(s.searches)],
          ['mean overlap', formatScore(s.meanOverlap)],
          ['mean rank-biased overlap', formatScore(s.meanRankBiasedOverlap)],
        ]),
  );
}

function pacingCard(migration) {
  const p = migration.pacing;
  if (!p) return null;
  return card(
    'Pacing',
    facts([
      ['pacing', p.enabled ? 'on: search latency sizes the window' : 'off'],
      ['window', `${formatNumber(p.windowSize)} of at most ${formatNumber(p.maxWindowSize)} pairs`],
      ['search p99', p.searchP99Ms === null ? 'no searches' : `${formatNumber(p.searchP99Ms, 1)} ms over ${formatNumber(p.searchSamples)} searches`],
      ['budget', p.budgetMs === null ? 'none' : `${formatNumber(p.budgetMs, 1)} ms`],
      ['idle p99', p.idleSearchP99Ms === null ? 'not measured yet' : `${formatNumber(p.idleSearchP99Ms, 1)} ms`],
      ['measured', formatInstant(p.measuredAt)],
    ]),
  );
}

/** A migration on a batch lane: its batches (absent or empty otherwise). */
function batchesCard(migration) {
  if (!migration.batches?.length) return null;
  return card(
    'Batches',
    table(
      [
        { label: 'State', value: (b) => badge(b.state) },
        {
          label: 'Requests',
          value: (b) => `${formatNumber(b.completedRequests)} done, ${formatNumber(b.failedRequests)} failed of ${formatNumber(b.requests)}`,
          class: 'number',
        },
        {
          label: 'Imported',
          value: (b) =>
            b.importedAt
              ? `${formatNumber(b.embedded)} stored, ${formatNumber(b.deadLettered)} dead-lettered, ${formatNumber(b.sentBack)} sent back`
              : '—',
        },
        { label: 'Window ends', value: (b) => formatInstant(b.expiresAt) },
        { label: 'Error', value: (b) => b.error ?? '' },
      ],
      migration.batches,
    ),
  );
}
