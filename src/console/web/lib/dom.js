/*
 * Building the page. Every piece of data reaches the DOM as text (textContent, or an
 * attribute value through setAttribute): nothing here parses HTML, so a QA pair's text or an
 * error message is shown, never run. Do not add innerHTML, outerHTML or insertAdjacentHTML
 * (test/unit/console-assets.spec.ts refuses them).
 */

/** Properties set as properties (their attributes only give the initial state). */
const PROPERTIES = new Set(['value', 'checked', 'disabled', 'hidden', 'selected', 'open', 'required', 'indeterminate']);

/**
 * `h('button', { class: 'primary', onclick: fn, dataset: { admin: '' } }, 'Replay')`.
 * Children: strings and numbers become text, null/undefined/false are skipped, arrays are flattened.
 */
export function h(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') node.className = value;
    else if (name === 'text') node.textContent = String(value);
    else if (name === 'dataset') Object.assign(node.dataset, value);
    else if (name.startsWith('on') && typeof value === 'function') node.addEventListener(name.slice(2), value);
    else if (PROPERTIES.has(name)) node[name] = value;
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  append(node, children);
  return node;
}

/** Replaces a node's children, with `h`'s rules for them (arrays flattened, null skipped). */
export function replace(node, ...children) {
  node.replaceChildren();
  return append(node, children);
}

export function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** A card: a titled section of a page. */
export function card(title, ...children) {
  return h('section', { class: 'card' }, h('h2', { text: title }), ...children);
}

/** `<dl>` of [term, value] rows; a value may be a node. Rows whose value is undefined are left out. */
export function facts(rows, className) {
  return h(
    'dl',
    { class: className ?? 'facts' },
    rows.filter(([, value]) => value !== undefined).map(([term, value]) => [h('dt', { text: term }), h('dd', {}, value ?? '—')]),
  );
}

/**
 * A table in a scrolling wrapper (narrow screens scroll it rather than the page).
 * `columns`: [{ label, value(row) → text or node, class? }]; `empty`: the text of a table without rows.
 */
export function table(columns, rows, { empty = 'None.', caption, id } = {}) {
  const head = h(
    'thead',
    {},
    h(
      'tr',
      {},
      columns.map((column) => h('th', { scope: 'col', class: column.class, text: column.label })),
    ),
  );
  const body = h(
    'tbody',
    {},
    rows.length === 0
      ? h('tr', {}, h('td', { colspan: columns.length, class: 'empty', text: empty }))
      : rows.map((row) =>
          h(
            'tr',
            {},
            columns.map((column) => h('td', { class: column.class }, column.value(row))),
          ),
        ),
  );
  return h('div', { class: 'table-wrap' }, h('table', { id }, caption ? h('caption', { text: caption }) : null, head, body));
}

/** A labelled form control: `field('Threshold', h('input', {...}))`; the input gets an id if it has none. */
let fieldCount = 0;
export function field(label, control, hint) {
  if (!control.id) control.id = `field-${++fieldCount}`;
  if (control.type === 'checkbox') return h('div', { class: 'field checkbox' }, control, h('label', { for: control.id, text: label }));
  return h(
    'div',
    { class: 'field' },
    h('label', { for: control.id, text: label }),
    control,
    hint ? h('span', { class: 'hint', id: `${control.id}-hint`, text: hint }) : null,
  );
}

/** A `<select>` of [value, label] options (or plain values). */
export function select(props, options, selected) {
  const node = h(
    'select',
    props,
    options.map((option) => {
      const [value, label] = Array.isArray(option) ? option : [option, option];
      return h('option', { value, text: label });
    }),
  );
  if (selected !== undefined) node.value = selected;
  return node;
}

/** A progress bar with its figure beside it; `value` in 0..100. */
export function progressBar(value, label) {
  const percent = Math.max(0, Math.min(100, Number(value) || 0));
  return h(
    'div',
    { class: 'progress' },
    h('progress', { max: 100, value: percent, 'aria-label': label ?? 'Progress', dataset: { value: String(percent) } }),
    h('span', { class: 'figure-small', text: `${formatNumber(percent, 1)}%` }),
  );
}

/** A state shown as a coloured word (`state-open`, `state-running`…). */
export function badge(state, text) {
  return h('span', { class: `badge state-${String(state).replace(/[^a-z_-]/gi, '')}`, text: text ?? String(state).replaceAll('_', ' ') });
}

// ---- formatting -------------------------------------------------------------------------

export const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

export function formatInstant(value) {
  if (!value) return '—';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toLocaleString(undefined, { timeZone });
}

export function formatNumber(value, fractionDigits) {
  if (value === null || value === undefined || Number.isNaN(Number(value))) return '—';
  return Number(value).toLocaleString(undefined, fractionDigits === undefined ? {} : { maximumFractionDigits: fractionDigits });
}

/** 0.8734 → "0.873". */
export function formatScore(value) {
  return value === null || value === undefined ? '—' : Number(value).toFixed(3);
}

/** Seconds as "1 h 5 min", "4 min 10 s", "12 s". */
export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined) return '—';
  const s = Math.max(0, Math.round(Number(seconds)));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** An instant relative to now: "in 42 s", "3 min 2 s ago". */
export function formatRelative(value) {
  if (!value) return '—';
  const ms = new Date(value).getTime() - Date.now();
  return ms >= 0 ? `in ${formatDuration(ms / 1000)}` : `${formatDuration(-ms / 1000)} ago`;
}

export function usd(value) {
  return value === null || value === undefined ? '—' : `$${value}`;
}

/** The local calendar date (YYYY-MM-DD) in the browser's time zone. */
export function localToday() {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
}

export function addDays(date, days) {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}
