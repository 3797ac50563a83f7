import { randomUUID } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { BatchApi } from './batch-api';
import type { Answer } from './answer';
import { type FakeOpenAIConfig, type FakeOpenAIConfigPatch, applyPatch, defaultConfig } from './config';
import { type ControlTarget, handleControl } from './control-routes';
import { parseEmbeddingRequest } from './embedding-request';
import { embeddingsAnswer } from './embeddings-response';
import { Faults } from './faults';
import { readBody } from './http-body';
import * as errors from './openai-errors';
import { RateLimiter } from './rate-limiter';
import { type FakeOpenAIStats, StatsRecorder } from './stats';

export interface FakeOpenAIOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Loopback unless told otherwise. */
  host?: string;
  /** When given, every request needs `Authorization: Bearer <one of them>`. */
  apiKeys?: readonly string[];
  /** The starting configuration, which `reset()` returns to. */
  config?: FakeOpenAIConfigPatch;
  /** How many recent requests `stats().recent` keeps (default 1000). */
  recentLimit?: number;
}

export interface FakeOpenAI extends ControlTarget {
  /** What the SDK's `baseURL` takes, e.g. `http://127.0.0.1:PORT/v1`. */
  readonly baseURL: string;
  /** The server's origin, e.g. `http://127.0.0.1:PORT` (the control API is under `/_control`). */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 32 * 1024 * 1024;

interface Outcome {
  answer: Answer;
  model: string | null;
  inputs: number;
  tokens: number;
}

export async function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  const fake = new FakeOpenAIServer(options);
  await fake.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  return fake;
}

class FakeOpenAIServer implements FakeOpenAI {
  private readonly server: Server;
  private readonly faults: Faults;
  private readonly limiter = new RateLimiter();
  private readonly recorder: StatsRecorder;
  private readonly batchApi: BatchApi;
  private readonly apiKeys: ReadonlySet<string>;
  /** Aborted on close, so requests waiting out an injected latency give up. */
  private readonly closing = new AbortController();
  private address: AddressInfo | undefined;

  constructor(options: FakeOpenAIOptions) {
    this.faults = new Faults(applyPatch(defaultConfig(), options.config ?? {}));
    this.recorder = new StatsRecorder(options.recentLimit ?? 1000);
    this.batchApi = new BatchApi(
      () => this.faults.current,
      { validationFailure: () => this.faults.takeBatchValidationFailure(), expiry: () => this.faults.takeBatchExpiry() },
      (model) => this.faults.variant(model),
      (model) => this.faults.noise(model),
    );
    this.apiKeys = new Set(options.apiKeys ?? []);
    this.server = createServer((req, res) => this.route(req, res));
  }

  get url(): string {
    if (!this.address) throw new Error('fake-openai is not listening');
    const host = this.address.family === 'IPv6' ? `[${this.address.address}]` : this.address.address;
    return `http://${host}:${this.address.port}`;
  }

  get baseURL(): string {
    return `${this.url}/v1`;
  }

  get port(): number {
    if (!this.address) throw new Error('fake-openai is not listening');
    return this.address.port;
  }

  listen(port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        this.address = this.server.address() as AddressInfo;
        resolve();
      });
    });
  }

  configure(patch: FakeOpenAIConfigPatch): FakeOpenAIConfig {
    return this.faults.configure(patch);
  }

  config(): FakeOpenAIConfig {
    return this.faults.snapshot();
  }

  stats(): FakeOpenAIStats {
    return { ...this.recorder.snapshot(), batches: this.batchApi.stats() };
  }

  /** Faults back to the starting configuration; counters, the log and the rate-limit windows cleared. */
  reset(): FakeOpenAIConfig {
    this.recorder.reset();
    this.batchApi.reset();
    this.limiter.clear();
    return this.faults.reset();
  }

  close(): Promise<void> {
    this.closing.abort();
    return new Promise((resolve, reject) => {
      this.server.close((error) => (error ? reject(error) : resolve()));
      // Hung requests and idle keep-alive sockets would otherwise hold close() open.
      this.server.closeAllConnections();
    });
  }

  private route(req: IncomingMessage, res: ServerResponse): void {
    this.dispatch(req, res).catch((error: unknown) => {
      // A bug in the fake: say so loudly rather than leave the client waiting.
      console.error('fake-openai failed on a request:', error);
      if (res.headersSent) res.destroy();
      else this.send(res, errors.statusError(500, 'internal', { message: `fake-openai: ${String(error)}` }), randomRequestId(), performance.now());
    });
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/_control' || path.startsWith('/_control/')) return handleControl(req, res, path, this);
    if (req.method === 'POST' && path === '/v1/embeddings') return this.handleEmbeddings(req, res);
    if (path.startsWith('/v1/files') || path.startsWith('/v1/batches')) return this.handleBatchApi(req, res, path);
    req.resume();
    this.send(res, errors.routeNotFound(req.method ?? 'GET', path), randomRequestId(), performance.now());
  }

  private async handleEmbeddings(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const startedAt = performance.now();
    const requestId = randomRequestId();
    this.recorder.started();
    res.once('close', () => this.recorder.ended());
    const body = await readBody(req, MAX_BODY_BYTES).catch(() => undefined);
    if (body === undefined) return; // the client went away mid-body
    if (this.faults.takeHang()) {
      this.recorder.hung();
      return;
    }
    const latencyMs = this.faults.latencyMs();
    if (latencyMs > 0 && !(await this.wait(latencyMs))) return;
    // Like the real API, a request whose client went away meanwhile is still processed and billed.
    const outcome = this.decide(body, req.headers.authorization);
    const abandoned = res.destroyed;
    if (!abandoned) this.send(res, outcome.answer, requestId, startedAt);
    this.recorder.answered({
      abandoned,
      at: new Date().toISOString(),
      requestId,
      model: outcome.model,
      inputs: outcome.inputs,
      tokens: outcome.tokens,
      status: outcome.answer.status,
      durationMs: Math.round(performance.now() - startedAt),
      fault: outcome.answer.fault,
    });
  }

  private async handleBatchApi(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const startedAt = performance.now();
    const authFailure = this.checkAuth(req.headers.authorization);
    if (authFailure) {
      req.resume();
      return this.send(res, authFailure, randomRequestId(), startedAt);
    }
    const query = new URL(req.url ?? '/', 'http://fake').searchParams;
    const answer = await this.batchApi.handle(req, req.method ?? 'GET', path, query);
    if (!answer) req.resume();
    this.send(res, answer ?? errors.routeNotFound(req.method ?? 'GET', path), randomRequestId(), startedAt);
  }

  /** False when the server closed during the wait. */
  private async wait(ms: number): Promise<boolean> {
    try {
      await sleep(ms, undefined, { signal: this.closing.signal });
      return true;
    } catch {
      return false;
    }
  }

  /**
   * The answer to one embeddings request: faults of the infrastructure in front first,
   * then auth, validation, and last the account's quota and rate limits.
   */
  private decide(body: string | null, authorization: string | undefined): Outcome {
    const unparsed = (answer: Answer, model: string | null = null): Outcome => ({ answer, model, inputs: 0, tokens: 0 });
    if (body === null) return unparsed(errors.bodyTooLarge(MAX_BODY_BYTES));
    const json = parseJson(body);
    const model = json.ok ? requestedModel(json.value) : null;

    const serverFault = this.faults.takeServerFault();
    if (serverFault) return unparsed(serverFault, model);
    const authFailure = this.checkAuth(authorization) ?? this.faults.takeRevokedKey(bearerKey(authorization) ?? '');
    if (authFailure) return unparsed(authFailure, model);
    if (!json.ok) return unparsed(errors.invalidJson());

    const parsed = parseEmbeddingRequest(json.value);
    if (!parsed.ok) return unparsed(parsed.answer, model);
    const { request } = parsed;
    const counted = (answer: Answer): Outcome => ({ answer, model, inputs: request.texts.length, tokens: request.totalTokens });

    const specialTokens = this.faults.takeSpecialTokenFault(request.texts);
    if (specialTokens) return counted(specialTokens);
    const accountFault = this.faults.takeAccountFault(request.model.name);
    if (accountFault) return counted(accountFault);
    const config = this.faults.current;
    const refused = this.limiter.admit(request.model.name, request.totalTokens, config.limits, Date.now());
    if (refused) return counted(refused);
    return counted(
      embeddingsAnswer(request, {
        variant: this.faults.variant(request.model.name),
        noise: this.faults.noise(request.model.name),
        malformed: this.faults.takeMalformed(),
      }),
    );
  }

  private checkAuth(authorization: string | undefined): Answer | null {
    if (this.apiKeys.size === 0) return null;
    const key = bearerKey(authorization);
    if (!key) return errors.missingApiKey();
    return this.apiKeys.has(key) ? null : errors.incorrectApiKey(key);
  }

  private send(res: ServerResponse, answer: Answer, requestId: string, startedAt: number): void {
    res.writeHead(answer.status, {
      'content-type': 'application/json',
      'x-request-id': requestId,
      'openai-processing-ms': String(Math.round(performance.now() - startedAt)),
      ...this.limiter.headers(this.faults.current.limits, Date.now()),
      ...answer.headers,
    });
    res.end(answer.body);
  }
}

function bearerKey(authorization: string | undefined): string | undefined {
  return /^Bearer\s+(.+)$/i.exec(authorization ?? '')?.[1]?.trim() || undefined;
}

function randomRequestId(): string {
  return `req_${randomUUID().replaceAll('-', '')}`;
}

function parseJson(body: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(body) };
  } catch {
    return { ok: false };
  }
}

function requestedModel(body: unknown): string | null {
  const model = typeof body === 'object' && body !== null ? (body as { model?: unknown }).model : undefined;
  return typeof model === 'string' ? model : null;
}
