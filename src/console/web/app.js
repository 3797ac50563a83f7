/*
 * The console's shell: the key (asked once, kept in sessionStorage), the key's role
 * (GET /api/v1/whoami), the hash router and each page's lifetime. A page is a module under
 * pages/ exporting `{ title, render(view, ctx, params) }`; adding one is adding it to PAGES
 * and a link in index.html's <nav>.
 */
import { api, ApiError, AuthError, session } from './lib/api.js';
import { h, timeZone } from './lib/dom.js';
import overview from './pages/overview.js';
import queue from './pages/queue.js';
import breakers from './pages/breakers.js';
import migrations from './pages/migrations.js';
import nearDuplicates from './pages/near-duplicates.js';
import drift from './pages/drift.js';
import costs from './pages/costs.js';

const PAGES = { overview, queue, breakers, migrations, 'near-duplicates': nearDuplicates, drift, costs };
const DEFAULT_PAGE = 'overview';

const byId = (id) => document.getElementById(id);
let role = null;
let current = null;

function setState(state, message) {
  document.body.dataset.state = state;
  if (message !== undefined) byId('status').textContent = message;
}

/** `#/migrations/<id>` → { name: 'migrations', params: ['<id>'] }. */
function parseRoute() {
  const [name, ...params] = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  return PAGES[name] ? { name, params } : { name: DEFAULT_PAGE, params: [] };
}

/**
 * What a page gets: its abort signal (aborted when the page is left or re-rendered), the
 * role, and helpers for admin-only controls, repeated refreshes and actions.
 */
function pageContext(alertArea) {
  const controller = new AbortController();
  const timers = new Set();
  const ctx = {
    signal: controller.signal,
    isAdmin: role === 'admin',
    /** `node` when the key is an admin key (marked data-admin), null otherwise: never rendered for a user key. */
    admin: (node) => {
      if (role !== 'admin') return null;
      node.dataset.admin = '';
      return node;
    },
    /** Calls `fn` every `ms` while the page is shown (a failure is shown, the timer keeps going). */
    every(ms, fn) {
      const timer = setInterval(() => {
        if (!controller.signal.aborted) fn().catch((error) => ctx.fail(error));
      }, ms);
      timers.add(timer);
    },
    /** Runs an action; shows "done" or the API's refusal in the page's alert area. Resolves to its result, or undefined when it failed. */
    async act(description, fn) {
      alertArea.replaceChildren();
      setState(document.body.dataset.state, `${description}…`);
      try {
        const result = await fn();
        setState(document.body.dataset.state, `${description}: done`);
        return result;
      } catch (error) {
        ctx.fail(error, description);
        return undefined;
      }
    },
    fail(error, description) {
      if (error instanceof AuthError) return showLogin('That key was refused.');
      if (error?.name === 'AbortError' || controller.signal.aborted) return undefined;
      const message = `${description ? `${description}: ` : ''}${error instanceof ApiError ? `${error.status} ${error.message}` : error.message}`;
      alertArea.replaceChildren(h('p', { class: 'error', text: message }));
      setState(document.body.dataset.state, message);
      return undefined;
    },
    /** Shows `hash`; draws the page again when it is the one shown. */
    navigate(hash) {
      if (location.hash === hash) void show();
      else location.hash = hash;
    },
    dispose() {
      controller.abort();
      for (const timer of timers) clearInterval(timer);
    },
  };
  return ctx;
}

async function show({ focus = false } = {}) {
  current?.ctx.dispose();
  const route = parseRoute();
  const page = PAGES[route.name];
  const view = byId('page');
  const alertArea = h('div', { id: 'page-alert', role: 'alert' });
  const body = h('div', { class: 'page-body' });
  const heading = h('h2', { class: 'page-title', tabindex: '-1', text: page.title });
  view.replaceChildren(heading, alertArea, body);
  const ctx = pageContext(alertArea);
  current = { ctx, name: route.name };
  document.body.dataset.page = route.name;
  document.title = `${page.title} · Embedding service console`;
  for (const link of byId('nav').querySelectorAll('a')) {
    if (link.getAttribute('href') === `#/${route.name}`) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  setState('loading', 'Loading…');
  try {
    await page.render(body, ctx, route.params);
    if (ctx.signal.aborted) return;
    setState('ready', `Updated ${new Date().toLocaleTimeString(undefined, { timeZone })}`);
    if (focus) heading.focus();
  } catch (error) {
    if (ctx.signal.aborted) return;
    if (error instanceof AuthError) return showLogin('That key was refused.');
    setState('error', `Could not load ${page.title}: ${error.message}`);
    alertArea.replaceChildren(h('p', { class: 'error', text: `Could not load ${page.title}: ${error.message}` }));
  }
}

async function open() {
  try {
    role = (await api('/api/v1/whoami')).role;
  } catch (error) {
    if (error instanceof AuthError) return showLogin('That key was refused.');
    setState('error', `Could not reach the service: ${error.message}`);
    return;
  }
  byId('login').hidden = true;
  byId('page').hidden = false;
  byId('nav').hidden = false;
  byId('refresh').hidden = false;
  byId('forget').hidden = false;
  byId('role').textContent = role === 'admin' ? 'admin key' : 'user key (read only)';
  document.body.dataset.role = role;
  await show();
}

function showLogin(message) {
  current?.ctx.dispose();
  current = null;
  session.forget();
  role = null;
  delete document.body.dataset.role;
  byId('login').hidden = false;
  byId('page').hidden = true;
  byId('page').replaceChildren();
  byId('nav').hidden = true;
  byId('refresh').hidden = true;
  byId('forget').hidden = true;
  byId('role').textContent = '';
  byId('login-error').textContent = message || '';
  setState('locked', '');
  byId('api-key').focus();
}

byId('time-zone').textContent = timeZone;
byId('key-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = byId('api-key');
  session.remember(input.value.trim());
  input.value = '';
  byId('login-error').textContent = '';
  void open();
});
byId('refresh').addEventListener('click', () => void show());
byId('forget').addEventListener('click', () => showLogin());
window.addEventListener('hashchange', () => {
  if (role) void show({ focus: true });
});

if (session.key()) void open();
else showLogin();
