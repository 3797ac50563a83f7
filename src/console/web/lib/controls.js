/*
 * Controls every page uses: a button that runs an API action (asking first when it is
 * destructive) and the Previous / Next pager of a list.
 */
import { confirmAction } from './confirm.js';
import { h } from './dom.js';

/**
 * A button that runs `run(reason)` through `ctx.act` (which shows the outcome or the API's
 * refusal), after asking in the confirmation dialog when `confirm` is given (its options, see
 * confirmAction; the reason typed there is passed to `run`), then `after(result)` once it
 * succeeded. `run` must resolve to something other than undefined on success. Rendered only
 * for an admin key unless `admin: false`. Other options are the button's attributes.
 */
export function actionButton(ctx, { label, run, after, confirm, admin = true, ...attributes }) {
  const button = h('button', {
    type: 'button',
    text: label,
    ...attributes,
    onclick: async () => {
      let reason = '';
      if (confirm) {
        const confirmed = await confirmAction({ confirmLabel: label, ...confirm });
        if (!confirmed) return;
        reason = confirmed.reason;
      }
      const result = await ctx.act(label, () => run(reason));
      if (result !== undefined && after) await after(result);
    },
  });
  return admin ? ctx.admin(button) : button;
}

/**
 * "N item(s), showing a–b" and Previous / Next. `state.offset` is moved by `pageSize` and
 * `reload()` draws the new page.
 */
export function pager(ctx, { state, total, shown, pageSize, noun, id, reload }) {
  const go = (offset) => {
    state.offset = offset;
    return ctx.act('Page', reload);
  };
  return h('div', { class: 'pager' }, [
    h('span', { id, text: `${total} ${noun}${total > 0 ? `, showing ${state.offset + 1}–${state.offset + shown}` : ''}` }),
    h('button', { type: 'button', text: 'Previous', disabled: state.offset === 0, onclick: () => go(Math.max(0, state.offset - pageSize)) }),
    h('button', { type: 'button', text: 'Next', disabled: state.offset + pageSize >= total, onclick: () => go(state.offset + pageSize) }),
  ]);
}
