import type { IncomingMessage, ServerResponse } from 'node:http';
import { type FakeOpenAIConfig, type FakeOpenAIConfigPatch, InvalidConfigError } from './config';
import { readBody } from './http-body';
import type { FakeOpenAIStats } from './stats';

/** What both the in-process fake and the HTTP control client offer. */
export interface ControlTarget {
  /** Applies a patch (validated; groups merge field by field) and returns the whole new config. */
  configure(patch: FakeOpenAIConfigPatch): FakeOpenAIConfig;
  config(): FakeOpenAIConfig;
  stats(): FakeOpenAIStats;
  /** Faults back to the starting configuration, counters cleared; returns the config. */
  reset(): FakeOpenAIConfig;
}

const MAX_PATCH_BYTES = 1024 * 1024;

/**
 * `GET /_control` (config), `POST /_control` (patch → config), `POST /_control/reset`
 * (→ config), `GET /_control/stats` (→ stats). Errors answer `{ "error": { "message" } }`.
 */
export async function handleControl(req: IncomingMessage, res: ServerResponse, path: string, target: ControlTarget): Promise<void> {
  const route = `${req.method} ${path}`;
  const body = await readBody(req, MAX_PATCH_BYTES).catch(() => undefined);
  if (body === undefined) return;
  if (route === 'GET /_control') return reply(res, 200, target.config());
  if (route === 'GET /_control/stats') return reply(res, 200, target.stats());
  if (route === 'POST /_control/reset') return reply(res, 200, target.reset());
  if (route !== 'POST /_control') return reply(res, 404, { error: { message: `no control route ${route}` } });
  if (body === null) return reply(res, 413, { error: { message: `a patch is at most ${MAX_PATCH_BYTES} bytes` } });
  try {
    // configure() validates the patch itself, whatever its static type says.
    return reply(res, 200, target.configure(JSON.parse(body || '{}') as FakeOpenAIConfigPatch));
  } catch (error) {
    if (error instanceof SyntaxError || error instanceof InvalidConfigError) {
      return reply(res, 400, { error: { message: error.message } });
    }
    throw error;
  }
}

function reply(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
}
