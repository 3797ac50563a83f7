/*
 * Near-duplicates: start a background scan (admin) and watch it; review the pairs of a
 * completed scan, or those detected at ingestion, side by side with both texts and their
 * similarity; dismiss a pair or a whole group as not duplicates (admin; they are not listed
 * again until either text changes) or delete one of the two QA pairs (any key, as the API
 * allows, confirmed, and only at the version shown: If-Match).
 */
import { api, query } from '../lib/api.js';
import { actionButton, pager } from '../lib/controls.js';
import { badge, card, field, formatInstant, formatNumber, h, progressBar, replace, select, table } from '../lib/dom.js';

const PAIRS_PER_PAGE = 10;
const CLUSTERS_SHOWN = 10;
const MEMBERS_SHOWN = 8;
const WATCH_MS = 1_000;
const DETECTED = 'detected';
/** The most QA pairs dismissed at once (the API's limit). */
const MAX_GROUP = 50;

export default {
  title: 'Near-duplicates',
  async render(view, ctx, [source]) {
    const { signal } = ctx;
    const [models, scans] = await Promise.all([api('/api/v1/models', { signal }), api('/api/v1/compare/near-duplicates/scans?limit=10', { signal })]);
    const selected = source ?? scans.items.find((scan) => scan.status === 'completed')?.id ?? DETECTED;
    const scansHolder = h('div', { id: 'scans' });
    const review = h('div', { id: 'review' });
    const dismissed = h('div', { id: 'dismissals' });
    let watched = scans.items;

    const reloadAll = async () => {
      await loadReview();
      await loadDismissals();
    };
    const loadReview = () => reviewSource(review, selected, watched, ctx, reloadAll);
    const loadDismissals = async () =>
      replace(dismissed, dismissalsView(await api('/api/v1/compare/near-duplicates/dismissals?limit=10', { signal }), ctx, reloadAll));

    replace(scansHolder, scansTable(watched, selected, ctx));
    replace(
      view,
      ctx.admin(scanForm(models, ctx)),
      card(
        'Scans',
        scansHolder,
        h('p', {}, h('a', { href: `#/near-duplicates/${DETECTED}`, text: 'Review the near-duplicates detected at ingestion →' })),
      ),
      card(selected === DETECTED ? 'Review: detected at ingestion' : 'Review: scan', review),
      card('Dismissed as not duplicates', dismissed),
    );
    await Promise.all([loadReview(), loadDismissals()]);

    // Watch queued and running scans; the one under review loads its pairs once it completes.
    ctx.every(WATCH_MS, async () => {
      if (!watched.some((scan) => scan.status === 'queued' || scan.status === 'running')) return;
      const before = watched.find((scan) => scan.id === selected)?.status;
      watched = (await api('/api/v1/compare/near-duplicates/scans?limit=10', { signal })).items;
      replace(scansHolder, scansTable(watched, selected, ctx));
      const after = watched.find((scan) => scan.id === selected)?.status;
      if (before !== after) await loadReview();
    });
  },
};

function scanForm(models, ctx) {
  const threshold = h('input', { type: 'number', name: 'threshold', min: 0.8, max: 1, step: 0.01, value: '0.95', required: true });
  const category = h('input', { type: 'text', name: 'category', maxlength: 100, placeholder: 'all categories' });
  const model = select(
    { name: 'model' },
    models.map((m) => [m.name, `${m.name}${m.active ? ' (active)' : ''}`]),
    models.find((m) => m.active)?.name,
  );
  return card(
    'Start a scan',
    h(
      'form',
      {
        class: 'inline-form',
        id: 'scan-form',
        onsubmit: async (event) => {
          event.preventDefault();
          const body = { threshold: Number(threshold.value), model: model.value };
          if (category.value.trim()) body.category = category.value.trim();
          const scan = await ctx.act('Start the scan', () =>
            api('/api/v1/compare/near-duplicates/scans', { method: 'POST', body, signal: ctx.signal }),
          );
          if (scan) ctx.navigate(`#/near-duplicates/${scan.id}`);
        },
      },
      field('Similarity at least', threshold, '0.8–1'),
      field('Category', category),
      field('Model', model),
      h('button', { type: 'submit', class: 'primary', text: 'Start scan' }),
    ),
    h('p', { class: 'hint', text: 'A scan reads every current vector of the model in a worker; it spends no tokens.' }),
  );
}

function scansTable(scans, selected, ctx) {
  return table(
    [
      { label: 'Started', value: (s) => formatInstant(s.createdAt) },
      { label: 'Model', value: (s) => `${s.model}${s.category ? ` / ${s.category}` : ''} ≥ ${s.threshold}` },
      {
        label: 'Status',
        value: (s) => h('span', {}, badge(s.status), s.phase && s.status === 'running' ? ` ${s.phase}` : '', s.error ? ` ${s.error}` : ''),
      },
      { label: 'Progress', value: (s) => progressBar(s.progress * 100, `Scan of ${formatInstant(s.createdAt)}`) },
      {
        label: 'Found',
        value: (s) =>
          s.summary
            ? `${formatNumber(s.summary.pairs)} pairs, ${formatNumber(s.summary.clusters)} groups in ${formatNumber(s.summary.vectors)} vectors`
            : '',
      },
      {
        label: '',
        value: (s) => [
          s.id === selected ? h('span', { class: 'hint', text: 'under review' }) : h('a', { href: `#/near-duplicates/${s.id}`, text: 'Review' }),
          s.status === 'failed' || s.status === 'interrupted'
            ? actionButton(ctx, {
                label: 'Retry',
                'aria-label': `Run the scan of ${formatInstant(s.createdAt)} again`,
                run: () => api(`/api/v1/compare/near-duplicates/scans/${s.id}/retry`, { method: 'POST', signal: ctx.signal }),
                after: () => ctx.navigate(`#/near-duplicates/${s.id}`),
              })
            : null,
        ],
      },
    ],
    scans,
    { empty: 'No scans yet.', id: 'scan-list' },
  );
}

/** The pairs (and for a scan its groups) of the source under review. */
async function reviewSource(holder, source, scans, ctx, reload) {
  const { signal } = ctx;
  if (source !== DETECTED) {
    const scan = scans.find((s) => s.id === source) ?? (await api(`/api/v1/compare/near-duplicates/scans/${encodeURIComponent(source)}`, { signal }));
    if (scan.status !== 'completed') {
      replace(
        holder,
        h(
          'p',
          { id: 'scan-watch' },
          'This scan is ',
          badge(scan.status),
          `${scan.phase ? ` (${scan.phase})` : ''}; its pairs show here once it completes.`,
        ),
        progressBar(scan.progress * 100, 'Scan progress'),
      );
      return;
    }
  }
  const base =
    source === DETECTED ? '/api/v1/compare/near-duplicates/detected' : `/api/v1/compare/near-duplicates/scans/${encodeURIComponent(source)}/pairs`;
  const state = { offset: 0 };
  const draw = async () => {
    const page = await api(`${base}${query({ limit: PAIRS_PER_PAGE, offset: state.offset })}`, { signal });
    const clusters =
      source === DETECTED
        ? null
        : await api(`/api/v1/compare/near-duplicates/scans/${encodeURIComponent(source)}/clusters?limit=${CLUSTERS_SHOWN}`, { signal });
    const ids = new Set(page.items.flatMap((pair) => [pair.idA, pair.idB]));
    for (const cluster of clusters?.items ?? []) for (const id of cluster.qaPairIds.slice(0, MEMBERS_SHOWN)) ids.add(id);
    const texts = await readPairs([...ids], signal);
    replace(
      holder,
      page.items.length === 0
        ? h('p', { class: 'empty', text: 'Nothing to review.' })
        : h(
            'div',
            { class: 'pairs' },
            page.items.map((pair) => pairCard(pair, texts, ctx, reload)),
          ),
      pager(ctx, {
        state,
        total: page.total,
        shown: page.items.length,
        pageSize: PAIRS_PER_PAGE,
        noun: 'pair(s) not dismissed',
        id: 'review-total',
        reload: draw,
      }),
      clusters ? clustersView(clusters, texts, ctx, reload) : null,
    );
  };
  await draw();
}

/** The QA pairs by id (absent: deleted since the scan). */
async function readPairs(ids, signal) {
  const pairs = await Promise.all(ids.map((id) => api(`/api/v1/qa-pairs/${encodeURIComponent(id)}`, { signal, accept: [404] })));
  return new Map(ids.map((id, i) => [id, pairs[i]?.id ? pairs[i] : null]));
}

function pairCard(pair, texts, ctx, reload) {
  const a = texts.get(pair.idA);
  const b = texts.get(pair.idB);
  const resolved = !a || !b;
  return h(
    'article',
    {
      class: `pair${resolved ? ' resolved' : ''}`,
      dataset: { pair: `${pair.idA}:${pair.idB}` },
      'aria-label': `Near-duplicates at similarity ${pair.similarity.toFixed(4)}`,
    },
    h(
      'header',
      {},
      h('strong', { class: 'similarity', text: `similarity ${pair.similarity.toFixed(4)}` }),
      resolved ? badge('resolved', 'resolved: one was deleted') : null,
    ),
    h('div', { class: 'side-by-side' }, side('A', a, pair.idA, !resolved, ctx, reload), side('B', b, pair.idB, !resolved, ctx, reload)),
    resolved ? null : h('div', { class: 'actions' }, dismissButton(ctx, 'Not a duplicate', 'dismiss', [pair.idA, pair.idB], reload)),
  );
}

function side(label, pair, id, actionable, ctx, reload) {
  if (!pair)
    return h(
      'div',
      { class: 'side deleted' },
      h('h4', { text: label }),
      h('code', { class: 'id', text: id }),
      h('p', { class: 'hint', text: 'deleted' }),
    );
  return h(
    'div',
    { class: 'side' },
    h('h4', { text: label }),
    h('p', { class: 'question', text: pair.question }),
    h('p', { class: 'answer', text: pair.answer }),
    h('p', { class: 'hint', text: `${pair.category ?? 'no category'} · version ${pair.version}` }),
    h('code', { class: 'id', text: id }),
    actionable
      ? actionButton(ctx, {
          label: `Delete ${label}`,
          admin: false,
          class: 'danger delete-pair',
          'aria-label': `Delete QA pair ${label}: ${pair.question.slice(0, 60)}`,
          confirm: {
            title: `Delete QA pair ${label}?`,
            message: `“${pair.question}” and its embeddings are deleted (its usage history stays). Only if it is still at version ${pair.version}.`,
            danger: true,
          },
          // The API allows any key to delete a QA pair; If-Match: only the version shown here.
          run: async () => {
            await api(`/api/v1/qa-pairs/${encodeURIComponent(id)}`, {
              method: 'DELETE',
              extraHeaders: { 'if-match': `"${pair.version}"` },
              signal: ctx.signal,
            });
            return true;
          },
          after: reload,
        })
      : null,
  );
}

function clustersView(clusters, texts, ctx, reload) {
  return h(
    'section',
    { class: 'clusters' },
    h('h3', { text: `Groups (${formatNumber(clusters.total)}; A~B and B~C make one)` }),
    clusters.items.length === 0
      ? h('p', { class: 'empty', text: 'No groups.' })
      : h(
          'ol',
          { id: 'cluster-list' },
          clusters.items.map((cluster) => {
            const present = cluster.qaPairIds.filter((id) => texts.get(id) !== null);
            return h(
              'li',
              { dataset: { cluster: String(cluster.rank) } },
              h('p', { text: `${cluster.size} QA pairs` }),
              h(
                'ul',
                {},
                cluster.qaPairIds.slice(0, MEMBERS_SHOWN).map((id) => h('li', { text: texts.get(id)?.question ?? `${id} (deleted)` })),
                cluster.size > MEMBERS_SHOWN ? h('li', { class: 'hint', text: `and ${cluster.size - MEMBERS_SHOWN} more` }) : null,
              ),
              present.length >= 2 && present.length <= MAX_GROUP
                ? dismissButton(ctx, 'None of these are duplicates', 'dismiss-group', present, reload)
                : null,
            );
          }),
        ),
  );
}

function dismissalsView(page, ctx, reload) {
  return table(
    [
      { label: 'Dismissed', value: (d) => formatInstant(d.dismissedAt) },
      { label: 'Pairs', value: (d) => h('span', {}, h('code', { text: d.idA }), ' ~ ', h('code', { text: d.idB })) },
      { label: 'Still hidden', value: (d) => (d.current ? 'yes' : 'no: edited since') },
      { label: 'Reason', value: (d) => d.reason ?? '' },
      {
        label: '',
        value: (d) =>
          actionButton(ctx, {
            label: 'Undo',
            'aria-label': `Undo the dismissal of ${d.idA} ~ ${d.idB}`,
            run: () => api(`/api/v1/compare/near-duplicates/dismissals/${d.id}`, { method: 'DELETE', signal: ctx.signal }),
            after: reload,
          }),
      },
    ],
    page.items,
    { empty: 'Nothing dismissed yet.', id: 'dismissal-list' },
  );
}

/** Dismisses `ids` (two, or a group) as not duplicates of each other (admin). */
function dismissButton(ctx, label, className, ids, reload) {
  return actionButton(ctx, {
    label,
    class: className,
    run: () => api('/api/v1/compare/near-duplicates/dismissals', { method: 'POST', body: { qaPairIds: ids }, signal: ctx.signal }),
    after: reload,
  });
}
