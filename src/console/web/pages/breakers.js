/*
 * Circuit breakers and rate budgets: each breaker's state, why it opened, its latest
 * transitions; its provider's rate budget and the block a Retry-After imposed (and its end).
 * An admin forces a breaker open (with a reason) or closed, releases or resets it, and ends a
 * rate-limit block. Refreshes itself: a breaker moves on its own (open → half-open → closed).
 */
import { api } from '../lib/api.js';
import { actionButton } from '../lib/controls.js';
import { badge, card, facts, formatDuration, formatInstant, formatNumber, formatRelative, h, replace, table } from '../lib/dom.js';

const REFRESH_MS = 5_000;
const HISTORY_SHOWN = 15;

export default {
  title: 'Circuit breakers and rate budgets',
  async render(view, ctx) {
    const draw = async () => {
      const breakers = await api('/api/v1/circuit-breakers', { signal: ctx.signal });
      const details = await Promise.all(
        breakers.map(async (breaker) => {
          const name = encodeURIComponent(breaker.name);
          const [history, budget] = await Promise.all([
            api(`/api/v1/circuit-breakers/${name}/history`, { signal: ctx.signal }),
            api(`/api/v1/circuit-breakers/${name}/rate-budget`, { signal: ctx.signal }),
          ]);
          return { breaker, history, budget };
        }),
      );
      replace(
        view,
        details.length === 0
          ? h('p', { text: 'No breakers: the service runs on the offline model, which calls no provider.' })
          : details.map((detail) => breakerSection(detail, ctx, draw)),
      );
    };
    await draw();
    ctx.every(REFRESH_MS, draw);
  },
};

function breakerSection({ breaker, history, budget }, ctx, redraw) {
  return h(
    'section',
    { class: 'breaker', dataset: { breaker: breaker.name } },
    h('h3', {}, `${breaker.name} `, badge(breaker.state), breaker.forced ? h('span', { class: 'forced', text: ` forced ${breaker.forced}` }) : ''),
    h('div', { class: 'grid' }, stateCard(breaker, history), controlsCard(breaker, ctx, redraw), budgetCard(budget, ctx, redraw)),
    card(
      'Recent transitions',
      table(
        [
          { label: 'At', value: (t) => formatInstant(t.at) },
          { label: 'From → to', value: (t) => h('span', {}, badge(t.from), ' → ', badge(t.to)) },
          { label: 'Forced', value: (t) => t.forced ?? '' },
          { label: 'Reason', value: (t) => h('span', { class: 'reason', text: t.reason }) },
        ],
        history.slice(0, HISTORY_SHOWN),
        { empty: 'No transitions yet.', id: `history-${breaker.name}` },
      ),
    ),
  );
}

/** Why it is open: the cause, the last error and the transition that opened it. */
function whyOpen(breaker, history) {
  if (breaker.state === 'closed' && breaker.forced !== 'open') return undefined;
  const opening = history.find((t) => t.to === 'open' || t.forced === 'open');
  const parts = [];
  if (breaker.forced === 'open') parts.push(`forced open: ${breaker.forcedReason ?? 'no reason given'}`);
  if (breaker.openCause)
    parts.push(breaker.openCause === 'credentials_rejected' ? 'the provider refused the API key (fix OPENAI_API_KEY)' : 'provider failures');
  if (opening && opening.reason && !parts.some((p) => p.includes(opening.reason))) parts.push(opening.reason);
  return h('span', { class: 'why', id: `why-${breaker.name}`, text: parts.join('; ') || 'unknown' });
}

function stateCard(breaker, history) {
  return card(
    'State',
    facts([
      ['state', badge(breaker.state)],
      ['forced', breaker.forced ? `${breaker.forced}${breaker.forcedReason ? ` — ${breaker.forcedReason}` : ''}` : 'no'],
      ['why it opened', whyOpen(breaker, history)],
      ['opened at', breaker.openedAt ? formatInstant(breaker.openedAt) : undefined],
      ['next probe', breaker.nextProbeAt ? `${formatInstant(breaker.nextProbeAt)} (${formatRelative(breaker.nextProbeAt)})` : undefined],
      ['last error', breaker.lastError ? `${breaker.lastError.message} (${formatInstant(breaker.lastError.at)})` : 'none'],
      ['consecutive failures', formatNumber(breaker.consecutiveFailures)],
      [
        'failure window',
        `${formatNumber(breaker.window.failures)} failed of ${formatNumber(breaker.window.calls)} calls in ${formatDuration(breaker.window.windowMs / 1000)}`,
      ],
      ['probes in flight', formatNumber(breaker.probesInFlight)],
      ['state changes', formatNumber(breaker.transitions)],
    ]),
  );
}

function controlsCard(breaker, ctx, redraw) {
  if (!ctx.isAdmin) return null;
  const name = encodeURIComponent(breaker.name);
  const control = (action, label, confirm) =>
    actionButton(ctx, {
      label,
      class: confirm.danger ? 'danger' : '',
      dataset: { action },
      confirm,
      run: (reason) => api(`/api/v1/circuit-breakers/${name}/${action}`, { method: 'POST', body: reason ? { reason } : {}, signal: ctx.signal }),
      after: redraw,
    });
  return ctx.admin(
    card(
      'Control',
      h('p', { class: 'hint', text: 'Forcing is sticky, in every process, until released or reset.' }),
      h('div', { class: 'actions' }, [
        control('force-open', 'Force open', {
          title: `Force ${breaker.name} open?`,
          message: 'Every provider call is refused until released: embedding stops and searches fall back to the lexical index.',
          reason: 'required',
          danger: true,
        }),
        control('force-closed', 'Force closed', {
          title: `Force ${breaker.name} closed?`,
          message: 'Every call is let through; failures are still counted but never open it.',
          reason: 'optional',
          danger: true,
        }),
        breaker.forced
          ? control('release', 'Release', {
              title: `Release ${breaker.name}?`,
              message: 'Forced open goes half-open (a probe first); forced closed goes closed.',
              reason: 'optional',
            })
          : null,
        control('reset', 'Reset', {
          title: `Reset ${breaker.name}?`,
          message: 'Closed, counters, last error and forcing cleared (the history is kept).',
          reason: 'optional',
          danger: true,
        }),
      ]),
    ),
  );
}

function budgetCard(budget, ctx, redraw) {
  const blocked = budget.blockedUntil && Date.parse(budget.blockedUntil) > Date.now();
  return card(
    'Rate budget',
    facts([
      ['requests / window', budget.rpm === null ? 'unlimited' : formatNumber(budget.rpm)],
      ['tokens / window', budget.tpm === null ? 'unlimited' : formatNumber(budget.tpm)],
      ['window', formatDuration(budget.windowMs / 1000)],
      [
        'rate-limit block',
        h('span', {
          id: `block-${budget.name}`,
          class: blocked ? 'level-exceeded' : '',
          text: blocked
            ? `blocked until ${formatInstant(budget.blockedUntil)} (${formatRelative(budget.blockedUntil)})`
            : budget.blockedUntil
              ? `none (the last one ended ${formatInstant(budget.blockedUntil)})`
              : 'none',
        }),
      ],
      ['longest block', formatDuration(budget.maxBlockMs / 1000)],
    ]),
    blocked
      ? actionButton(ctx, {
          label: 'End the block now',
          class: 'danger',
          dataset: { action: 'rate-limit-reset' },
          confirm: {
            title: `End ${budget.name}'s rate-limit block?`,
            message: 'Calls go through again at once, in every process; if the provider still refuses them its next 429 blocks again.',
            danger: true,
          },
          run: () => api(`/api/v1/circuit-breakers/${encodeURIComponent(budget.name)}/rate-limit/reset`, { method: 'POST', signal: ctx.signal }),
          after: redraw,
        })
      : null,
  );
}
