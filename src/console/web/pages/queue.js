/*
 * Queue: jobs by state and per-model coverage, one job looked up by id, and the dead letters
 * (filtered, paged) with why each failed and the text it failed on; an admin replays one,
 * the filtered ones or all, and discards one.
 */
import { api, query } from '../lib/api.js';
import { actionButton, pager } from '../lib/controls.js';
import { badge, card, facts, field, formatInstant, formatNumber, h, replace, select, table } from '../lib/dom.js';

const PAGE_SIZE = 20;
const KINDS = [
  ['', 'any kind'],
  ['permanent', 'permanent (refused input)'],
  ['exhausted', 'exhausted (retries used up)'],
  ['stalled', 'stalled (its worker kept dying)'],
];

export default {
  title: 'Queue',
  async render(view, ctx) {
    const { signal } = ctx;
    const [stats, models] = await Promise.all([api('/api/v1/queue/stats', { signal }), api('/api/v1/models', { signal })]);
    const filter = { model: '', errorKind: '', qaPairId: '', includeDiscarded: false, offset: 0 };
    const letters = h('div', { id: 'dead-letters' });

    const loadLetters = async () => {
      const page = await api(
        `/api/v1/dead-letters${query({ ...filter, includeDiscarded: filter.includeDiscarded || undefined, limit: PAGE_SIZE })}`,
        { signal },
      );
      replace(letters, lettersView(page, filter, ctx, loadLetters));
    };

    replace(
      view,
      h('div', { class: 'grid' }, statsCard(stats), coverageCard(stats), jobLookupCard(ctx)),
      card('Dead letters', filterForm(models, filter, ctx, loadLetters), letters),
    );
    await loadLetters();
  },
};

/** The job counts and throughput (the overview shows them too). */
export function queueFacts(stats) {
  return facts(
    [
      ['waiting', formatNumber(stats.jobs.waiting)],
      ['active', formatNumber(stats.jobs.active)],
      ['delayed', formatNumber(stats.jobs.delayed)],
      ['paused', formatNumber(stats.jobs.paused)],
      ['failed', formatNumber(stats.jobs.failed)],
      ['dead letters (open)', formatNumber(stats.deadLetters)],
      ['embedded last minute', formatNumber(stats.embeddedLastMinute)],
      ['embedded / s (5 min)', formatNumber(stats.embeddedPerSecond5m, 2)],
    ],
    'facts queue-facts',
  );
}

function statsCard(stats) {
  return card(
    'Jobs by state',
    queueFacts(stats),
    h('p', { class: 'hint', text: `Coverage counted ${formatInstant(stats.coverageAsOf)}; job counts are live.` }),
  );
}

function coverageCard(stats) {
  return card(
    'Coverage by model',
    table(
      [
        { label: 'Model', value: (m) => [m.model, m.active ? ' ' : '', m.active ? badge('active') : ''] },
        { label: 'Embedded', value: (m) => `${formatNumber(m.embedded)} / ${formatNumber(m.total)}`, class: 'number' },
      ],
      stats.models,
    ),
  );
}

function jobLookupCard(ctx) {
  const input = h('input', { type: 'text', name: 'job-id', autocomplete: 'off', spellcheck: 'false', required: true, maxlength: 200 });
  const result = h('div', { class: 'job-result' });
  const reconcile = actionButton(ctx, {
    label: 'Run the reconciler now',
    run: () => api('/api/v1/queue/reconcile', { method: 'POST', signal: ctx.signal }),
    after: (answer) =>
      replace(
        result,
        h('p', {
          text: `Enqueued ${answer.pending} pending pair(s).${answer.heldByBudget.length ? ` Held by a budget: ${answer.heldByBudget.join(', ')}.` : ''}`,
        }),
      ),
  });
  return card(
    'Look up a job',
    h(
      'form',
      {
        class: 'inline-form',
        onsubmit: async (event) => {
          event.preventDefault();
          const job = await ctx.act('Look up the job', () => api(`/api/v1/jobs/${encodeURIComponent(input.value.trim())}`, { signal: ctx.signal }));
          if (job) replace(result, facts(Object.entries(job).map(([name, value]) => [name, String(value)])));
        },
      },
      field('Job id', input, 'pairId:model:hash16, as enqueueing returned it'),
      h('button', { type: 'submit', text: 'Look up' }),
    ),
    result,
    reconcile,
    ctx.isAdmin
      ? h('p', { class: 'hint' }, 'Bull Board: ', h('a', { href: '/admin/queues', text: '/admin/queues' }), ' (the admin key as the password).')
      : null,
  );
}

function filterForm(models, filter, ctx, reload) {
  const model = select({ name: 'model' }, [['', 'any model'], ...models.map((m) => [m.name, m.name])], filter.model);
  const kind = select({ name: 'errorKind' }, KINDS, filter.errorKind);
  const pair = h('input', {
    type: 'text',
    name: 'qaPairId',
    autocomplete: 'off',
    spellcheck: 'false',
    placeholder: 'QA pair id',
    value: filter.qaPairId,
  });
  const discarded = h('input', { type: 'checkbox', name: 'includeDiscarded', checked: filter.includeDiscarded });
  const read = () => {
    Object.assign(filter, { model: model.value, errorKind: kind.value, qaPairId: pair.value.trim(), includeDiscarded: discarded.checked, offset: 0 });
  };
  /** The replay API's filter: the list's, without paging and discarded letters (never replayed). */
  const replayFilter = () => {
    read();
    return Object.fromEntries(['model', 'errorKind', 'qaPairId'].filter((name) => filter[name]).map((name) => [name, filter[name]]));
  };
  const replay = (label, attributes, what, body) =>
    actionButton(ctx, {
      label,
      ...attributes,
      confirm: { title: `Replay ${what}?`, message: 'Each letter is removed and its pair enqueued again with full attempts (it spends tokens).' },
      run: () => api('/api/v1/dead-letters/replay', { method: 'POST', body: body(), signal: ctx.signal }),
      after: (answer) => ctx.act(`Replayed ${answer.replayed}`, reload),
    });
  return h(
    'form',
    {
      class: 'filters',
      'aria-label': 'Dead letter filters',
      onsubmit: async (event) => {
        event.preventDefault();
        read();
        await ctx.act('Filter', reload);
      },
    },
    field('Model', model),
    field('Kind', kind),
    field('QA pair', pair),
    field('include discarded', discarded),
    h('div', { class: 'actions' }, [
      h('button', { type: 'submit', text: 'Apply filters' }),
      replay('Replay matching', { id: 'replay-filtered' }, 'the dead letters matching the filters', replayFilter),
      replay('Replay all', { id: 'replay-all', class: 'danger' }, 'every dead letter', () => ({})),
    ]),
  );
}

function lettersView(page, filter, ctx, reload) {
  const rowActions = (l) =>
    h('div', { class: 'row-actions' }, [
      actionButton(ctx, {
        label: 'Replay',
        class: 'replay-one',
        'aria-label': `Replay the dead letter of pair ${l.qaPairId}`,
        run: () => api(`/api/v1/dead-letters/${l.id}/replay`, { method: 'POST', signal: ctx.signal }),
        after: reload,
      }),
      actionButton(ctx, {
        label: 'Discard',
        class: 'danger discard-one',
        'aria-label': `Discard the dead letter of pair ${l.qaPairId}`,
        confirm: {
          title: 'Discard this dead letter?',
          message: 'It is hidden and this content is not retried again (an edit of the pair starts afresh).',
          danger: true,
        },
        run: () => api(`/api/v1/dead-letters/${l.id}`, { method: 'DELETE', signal: ctx.signal }),
        after: reload,
      }),
    ]);
  return h(
    'div',
    {},
    table(
      [
        { label: 'Last failed', value: (l) => formatInstant(l.lastFailedAt) },
        { label: 'Model', value: (l) => l.model },
        { label: 'Kind', value: (l) => badge(l.errorKind) },
        { label: 'Attempts', value: (l) => String(l.attempts), class: 'number' },
        { label: 'Reason', value: (l) => h('span', { class: 'reason', text: l.lastError }) },
        { label: 'Pair', value: (l) => textToggle(l.qaPairId, ctx) },
        {
          label: 'Actions',
          value: (l) => (l.discardedAt ? h('span', { class: 'hint', text: `discarded ${formatInstant(l.discardedAt)}` }) : rowActions(l)),
        },
      ],
      page.items,
      { empty: 'No dead letters match.', id: 'dead-letter-table' },
    ),
    pager(ctx, {
      state: filter,
      total: page.total,
      shown: page.items.length,
      pageSize: PAGE_SIZE,
      noun: 'dead letter(s)',
      id: 'dead-letter-total',
      reload,
    }),
  );
}

/** The pair's id, and its text on request (a QA pair may be long, and may be gone). */
function textToggle(qaPairId, ctx) {
  const holder = h('div', { class: 'pair-text' });
  const button = h('button', {
    type: 'button',
    class: 'link show-text',
    text: 'Show text',
    'aria-expanded': 'false',
    onclick: async () => {
      if (button.getAttribute('aria-expanded') === 'true') {
        replace(holder);
        button.setAttribute('aria-expanded', 'false');
        button.textContent = 'Show text';
        return;
      }
      const pair = await ctx.act('Read the pair', () => api(`/api/v1/qa-pairs/${qaPairId}`, { signal: ctx.signal, accept: [404] }));
      if (pair === undefined) return;
      replace(
        holder,
        pair.id
          ? h(
              'div',
              { class: 'qa' },
              h('p', { class: 'question', text: pair.question }),
              h('p', { class: 'answer', text: pair.answer }),
              h('p', { class: 'hint', text: `category ${pair.category ?? '—'}, version ${pair.version}` }),
            )
          : h('p', { class: 'hint', text: 'This pair has been deleted.' }),
      );
      button.setAttribute('aria-expanded', 'true');
      button.textContent = 'Hide text';
    },
  });
  return h('div', {}, h('code', { class: 'id', text: qaPairId }), ' ', button, holder);
}
