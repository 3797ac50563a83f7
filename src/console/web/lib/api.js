/*
 * The REST API, as every other client calls it: the key the user typed in, from this tab's
 * sessionStorage, in the x-api-key header. Never in a URL (URLs end up in logs and history).
 */

const KEY_STORAGE = 'embedding-service.api-key';

export const session = {
  key: () => sessionStorage.getItem(KEY_STORAGE),
  remember: (key) => sessionStorage.setItem(KEY_STORAGE, key),
  forget: () => sessionStorage.removeItem(KEY_STORAGE),
};

/** The key was refused (401): the console forgets it and asks again. */
export class AuthError extends Error {}

/** Any other answer that is not 2xx; `message` is the API's own (`{ message, details }`). */
export class ApiError extends Error {
  constructor(status, body, path) {
    super(body && typeof body === 'object' && body.message ? String(body.message) : `${path} answered ${status}`);
    this.status = status;
    this.body = body;
  }
}

function headers(extra) {
  return { 'x-api-key': session.key() ?? '', ...extra };
}

/**
 * `api('/api/v1/queue/stats')`, `api(path, { method: 'POST', body })`. Resolves to the parsed
 * JSON (undefined for 204); rejects with AuthError (401) or ApiError. `accept`: other statuses
 * whose body is still the answer (health's 503).
 */
export async function api(path, { method = 'GET', body, signal, accept = [], extraHeaders } = {}) {
  const init = { method, headers: headers(extraHeaders), cache: 'no-store', signal };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  if (response.status === 401) throw new AuthError(`${path}: 401`);
  const text = await response.text();
  let parsed;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  if (!response.ok && !accept.includes(response.status)) throw new ApiError(response.status, parsed, path);
  return parsed;
}

/**
 * Reads a server-sent event stream with the key in a header: EventSource cannot send one,
 * and the key must not go in the URL. Calls `onEvent({ event, data })` per event (data parsed
 * as JSON when it is JSON) and resolves when the server ends the stream; abort `signal` to
 * stop. Rejects with ApiError for an answer that is not a stream (404, 429 over the per-key cap).
 */
export async function readEvents(path, { signal, onEvent }) {
  const response = await fetch(path, { headers: headers({ accept: 'text/event-stream' }), cache: 'no-store', signal });
  if (response.status === 401) throw new AuthError(`${path}: 401`);
  if (!response.ok || !response.body) {
    let body;
    try {
      body = await response.json();
    } catch {
      body = undefined;
    }
    throw new ApiError(response.status, body, path);
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer = (buffer + value).replace(/\r\n?/g, '\n');
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = parseEvent(block);
      if (event) onEvent(event);
    }
  }
}

function parseEvent(block) {
  let event = 'message';
  const data = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const name = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (name === 'event') event = value;
    else if (name === 'data') data.push(value);
  }
  if (data.length === 0) return null;
  const text = data.join('\n');
  try {
    return { event, data: JSON.parse(text) };
  } catch {
    return { event, data: text };
  }
}

/** `?a=1&b=x` from an object, leaving out empty values. */
export function query(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === '') continue;
    search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}
