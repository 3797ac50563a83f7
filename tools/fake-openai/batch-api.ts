import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { type Answer, errorAnswer } from './answer';
import type { FakeOpenAIConfig } from './config';
import { parseEmbeddingRequest } from './embedding-request';
import { embeddingVector, encodeVector } from './vectors';

/** OpenAI's limits on one batch. */
export const MAX_BATCH_REQUESTS = 50_000;
export const MAX_BATCH_FILE_BYTES = 200 * 1024 * 1024;
/** The fake's own cap on a multipart upload it holds in memory. */
const MAX_UPLOAD_BYTES = 220 * 1024 * 1024;

interface StoredFile {
  id: string;
  purpose: string;
  filename: string;
  content: string;
  createdAt: number;
}

type BatchStatus = 'validating' | 'failed' | 'in_progress' | 'finalizing' | 'completed' | 'expired' | 'cancelling' | 'cancelled';

interface InputLine {
  customId: string;
  body: unknown;
}

interface StoredBatch {
  id: string;
  inputFileId: string;
  endpoint: string;
  completionWindow: string;
  metadata: Record<string, string> | null;
  createdAt: number;
  status: BatchStatus;
  lines: InputLine[];
  /** Decided at creation from the faults then in force. */
  failValidation: boolean;
  expires: boolean;
  completionMs: number;
  expireAtShare: number;
  lineErrorEvery: number;
  lineErrorStatus: number;
  inProgressAt?: number;
  endedAt?: number;
  outputFileId?: string;
  errorFileId?: string;
  errors?: Array<{ code: string; message: string; line: number | null; param: string | null }>;
  counts: { total: number; completed: number; failed: number };
}

/** What the fake billed through batches: tokens of lines answered 200 (once per line). */
export interface BatchStats {
  batches: number;
  requests: number;
  inputs: number;
  tokens: number;
}

/**
 * OpenAI's Files and Batch APIs for `/v1/embeddings`, in memory: upload a JSONL file
 * (multipart, purpose `batch`), create a batch over it, and read it as it moves from
 * `validating` through `in_progress` (its lines finish evenly over `completionMs`) to
 * `completed` with an output file (`usage` on every line) and an error file, or `failed`
 * validation, `expired` with partial output, or `cancelled` with what was done. The state
 * advances when the batch is read, from the clock: nothing runs in the background.
 */
export class BatchApi {
  private readonly files = new Map<string, StoredFile>();
  private readonly batches = new Map<string, StoredBatch>();
  private billed: BatchStats = { batches: 0, requests: 0, inputs: 0, tokens: 0 };

  constructor(
    private readonly config: () => Readonly<FakeOpenAIConfig>,
    private readonly take: { validationFailure(): boolean; expiry(): boolean },
    private readonly variant: (model: string) => number,
    private readonly noise: (model: string) => number,
  ) {}

  stats(): BatchStats {
    return { ...this.billed };
  }

  reset(): void {
    this.billed = { batches: 0, requests: 0, inputs: 0, tokens: 0 };
  }

  /** Routes `/v1/files…` and `/v1/batches…`; null when the path is not one of them. */
  async handle(req: IncomingMessage, method: string, path: string, query: URLSearchParams): Promise<Answer | null> {
    if (path === '/v1/files' && method === 'POST') return this.upload(req);
    let match = /^\/v1\/files\/([^/]+)$/.exec(path);
    if (match && method === 'GET') return this.fileObject(match[1]);
    match = /^\/v1\/files\/([^/]+)\/content$/.exec(path);
    if (match && method === 'GET') return this.fileContent(match[1]);
    if (path === '/v1/batches' && method === 'POST') return this.create(await readJson(req));
    if (path === '/v1/batches' && method === 'GET') return this.list(Number(query.get('limit') ?? 20));
    match = /^\/v1\/batches\/([^/]+)$/.exec(path);
    if (match && method === 'GET') return this.read(match[1]);
    match = /^\/v1\/batches\/([^/]+)\/cancel$/.exec(path);
    if (match && method === 'POST') return this.cancel(match[1]);
    return null;
  }

  private async upload(req: IncomingMessage): Promise<Answer> {
    const type = req.headers['content-type'] ?? '';
    const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(type);
    if (!type.startsWith('multipart/form-data') || !boundary) return invalid('The request must be multipart/form-data with a file and a purpose.');
    const body = await readRaw(req, MAX_UPLOAD_BYTES);
    if (body === null) return invalid(`File too large: the maximum size for a batch input file is ${MAX_BATCH_FILE_BYTES} bytes.`);
    const parts = multipart(body, boundary[1] ?? boundary[2]);
    const purpose = parts.find((part) => part.name === 'purpose')?.content.toString('utf8');
    const file = parts.find((part) => part.name === 'file');
    if (!file) return invalid("Missing required parameter: 'file'.", 'file');
    if (purpose !== 'batch') return invalid(`Invalid value for 'purpose': the fake accepts only 'batch', got ${JSON.stringify(purpose)}.`, 'purpose');
    if (file.content.length > MAX_BATCH_FILE_BYTES)
      return invalid(`File too large: the maximum size for a batch input file is ${MAX_BATCH_FILE_BYTES} bytes.`);
    const stored: StoredFile = {
      id: `file-${randomUUID().replaceAll('-', '')}`,
      purpose,
      filename: file.filename ?? 'upload.jsonl',
      content: file.content.toString('utf8'),
      createdAt: now(),
    };
    this.files.set(stored.id, stored);
    return json(200, fileJson(stored));
  }

  private fileObject(id: string): Answer {
    const file = this.files.get(id);
    return file ? json(200, fileJson(file)) : notFound(`No such File object: ${id}`);
  }

  private fileContent(id: string): Answer {
    const file = this.files.get(id);
    if (!file) return notFound(`No such File object: ${id}`);
    return { status: 200, body: file.content, headers: { 'content-type': 'application/octet-stream' }, fault: null };
  }

  private create(body: unknown): Answer {
    if (typeof body !== 'object' || body === null) return invalid('We could not parse the JSON body of your request.');
    const { input_file_id: inputFileId, endpoint, completion_window: window, metadata } = body as Record<string, unknown>;
    if (typeof inputFileId !== 'string') return invalid("Missing required parameter: 'input_file_id'.", 'input_file_id');
    if (endpoint !== '/v1/embeddings' && endpoint !== '/v1/chat/completions' && endpoint !== '/v1/responses' && endpoint !== '/v1/completions') {
      return invalid(
        `Invalid value: '${String(endpoint)}'. Supported values are: '/v1/chat/completions', '/v1/completions', '/v1/embeddings' and '/v1/responses'.`,
        'endpoint',
      );
    }
    if (window !== '24h') return invalid(`Invalid value: '${String(window)}'. Supported values are: '24h'.`, 'completion_window');
    const file = this.files.get(inputFileId);
    if (!file) return notFound(`No such File object: ${inputFileId}`);
    const faults = this.config().batches;
    const batch: StoredBatch = {
      id: `batch_${randomUUID().replaceAll('-', '')}`,
      inputFileId,
      endpoint,
      completionWindow: window,
      metadata: (metadata as Record<string, string> | undefined) ?? null,
      createdAt: now(),
      status: 'validating',
      lines: [],
      failValidation: this.take.validationFailure(),
      expires: this.take.expiry(),
      completionMs: faults.completionMs,
      expireAtShare: faults.expireAtShare,
      lineErrorEvery: faults.lineErrorEvery,
      lineErrorStatus: faults.lineErrorStatus,
      counts: { total: 0, completed: 0, failed: 0 },
    };
    this.validate(batch, file);
    // Its clock starts now; it reads as in_progress from the first time it is read.
    if (batch.status === 'validating') batch.inProgressAt = now();
    this.batches.set(batch.id, batch);
    return json(200, this.batchJson(batch));
  }

  /** OpenAI validates the whole file before any line runs; the first problems fail the batch. */
  private validate(batch: StoredBatch, file: StoredFile): void {
    const errors: NonNullable<StoredBatch['errors']> = [];
    const seen = new Set<string>();
    const lines = file.content.split('\n').filter((line) => line.trim());
    if (lines.length > MAX_BATCH_REQUESTS) {
      errors.push({
        code: 'too_many_requests',
        message: `The batch input file has ${lines.length} requests; the maximum is ${MAX_BATCH_REQUESTS}.`,
        line: null,
        param: null,
      });
    }
    lines.forEach((text, index) => {
      if (errors.length >= 10) return;
      const line = index + 1;
      let parsed: { custom_id?: unknown; method?: unknown; url?: unknown; body?: unknown };
      try {
        parsed = JSON.parse(text) as typeof parsed;
      } catch {
        errors.push({ code: 'invalid_json_line', message: `This line is not parseable as valid JSON.`, line, param: null });
        return;
      }
      if (typeof parsed.custom_id !== 'string' || parsed.custom_id === '') {
        errors.push({ code: 'missing_required_parameter', message: "Missing required parameter: 'custom_id'.", line, param: 'custom_id' });
      } else if (seen.has(parsed.custom_id)) {
        errors.push({
          code: 'duplicate_custom_id',
          message: `The custom_id for this request is a duplicate of another request.`,
          line,
          param: 'custom_id',
        });
      } else seen.add(parsed.custom_id);
      if (parsed.method !== 'POST') errors.push({ code: 'invalid_method', message: "The 'method' must be 'POST'.", line, param: 'method' });
      if (parsed.url !== batch.endpoint) {
        errors.push({
          code: 'mismatched_endpoint',
          message: `The URL provided for this request does not match the batch endpoint.`,
          line,
          param: 'url',
        });
      }
      batch.lines.push({ customId: String(parsed.custom_id), body: parsed.body });
    });
    if (lines.length === 0) errors.push({ code: 'empty_file', message: 'The batch input file is empty.', line: null, param: null });
    if (batch.failValidation && errors.length === 0) {
      errors.push({ code: 'invalid_request', message: 'The fake was told to fail this batch at validation.', line: null, param: null });
    }
    batch.counts.total = errors.length ? 0 : batch.lines.length;
    if (errors.length) {
      batch.errors = errors;
      batch.status = 'failed';
      batch.endedAt = now();
    }
  }

  private read(id: string): Answer {
    const batch = this.batches.get(id);
    if (!batch) return notFound(`No batch found with id '${id}'.`);
    this.advance(batch);
    return json(200, this.batchJson(batch));
  }

  private list(limit: number): Answer {
    const data = [...this.batches.values()]
      .reverse()
      .slice(0, Math.max(1, Math.min(100, limit || 20)))
      .map((batch) => {
        this.advance(batch);
        return this.batchJson(batch);
      });
    return json(200, { object: 'list', data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: false });
  }

  private cancel(id: string): Answer {
    const batch = this.batches.get(id);
    if (!batch) return notFound(`No batch found with id '${id}'.`);
    this.advance(batch);
    if (batch.status !== 'validating' && batch.status !== 'in_progress' && batch.status !== 'finalizing') {
      return errorAnswer(409, { message: `Cannot cancel a batch with status '${batch.status}'.`, type: 'invalid_request_error' });
    }
    this.finish(batch, 'cancelled', this.linesDone(batch));
    return json(200, this.batchJson(batch));
  }

  /** Moves a batch along by the clock: validating → in_progress at once, then completed (or expired) once its time is up. */
  private advance(batch: StoredBatch): void {
    if (batch.status === 'validating') batch.status = 'in_progress';
    if (batch.status !== 'in_progress') return;
    const done = this.linesDone(batch);
    const expiresAt = Math.floor(batch.lines.length * batch.expireAtShare);
    if (batch.expires && done >= expiresAt) this.finish(batch, 'expired', expiresAt);
    else if (done >= batch.lines.length) this.finish(batch, 'completed', batch.lines.length);
  }

  private linesDone(batch: StoredBatch): number {
    if (batch.inProgressAt === undefined) return 0;
    const share = batch.completionMs <= 0 ? 1 : Math.min(1, (now() - batch.inProgressAt) / batch.completionMs);
    return Math.floor(batch.lines.length * share);
  }

  /** Runs the first `done` lines: answers go to the output file, failures to the error file; 200s are billed. */
  private finish(batch: StoredBatch, status: 'completed' | 'expired' | 'cancelled', done: number): void {
    const output: string[] = [];
    const failed: string[] = [];
    batch.lines.slice(0, done).forEach((line, index) => {
      const answer = this.answerLine(batch, line, index + 1);
      (answer.status === 200 ? output : failed).push(answer.text);
    });
    batch.counts = { total: batch.lines.length, completed: output.length, failed: failed.length };
    if (output.length) batch.outputFileId = this.storeOutput(output);
    if (failed.length) batch.errorFileId = this.storeOutput(failed);
    batch.status = status;
    batch.endedAt = now();
    this.billed.batches++;
  }

  private answerLine(batch: StoredBatch, line: InputLine, position: number): { status: number; text: string } {
    const requestId = `req_${randomUUID().replaceAll('-', '')}`;
    const wrap = (statusCode: number, body: unknown) =>
      JSON.stringify({
        id: `batch_req_${randomUUID().replaceAll('-', '')}`,
        custom_id: line.customId,
        response: { status_code: statusCode, request_id: requestId, body },
        error: null,
      });
    if (batch.lineErrorEvery > 0 && position % batch.lineErrorEvery === 0) {
      const status = batch.lineErrorStatus;
      const error =
        status >= 500
          ? { message: 'The server had an error while processing your request.', type: 'server_error' }
          : { message: "'$.input' is invalid.", type: 'invalid_request_error' };
      return { status, text: wrap(status, { error: { ...error, param: null, code: null } }) };
    }
    const parsed = parseEmbeddingRequest(line.body);
    if (!parsed.ok) {
      return { status: parsed.answer.status, text: wrap(parsed.answer.status, JSON.parse(String(parsed.answer.body)) as unknown) };
    }
    const { request } = parsed;
    const options = {
      model: request.model,
      dimensions: request.dimensions,
      variant: this.variant(request.model.name),
      noise: this.noise(request.model.name),
    };
    const data = request.texts.map((text, index) => ({
      object: 'embedding',
      index,
      embedding: encodeVector(embeddingVector(text, options), request.encoding),
    }));
    this.billed.requests++;
    this.billed.inputs += request.texts.length;
    this.billed.tokens += request.totalTokens;
    const usage = { prompt_tokens: request.totalTokens, total_tokens: request.totalTokens };
    return { status: 200, text: wrap(200, { object: 'list', data, model: request.model.answeredAs, usage }) };
  }

  private storeOutput(lines: string[]): string {
    const id = `file-${randomUUID().replaceAll('-', '')}`;
    this.files.set(id, { id, purpose: 'batch_output', filename: `${id}.jsonl`, content: `${lines.join('\n')}\n`, createdAt: now() });
    return id;
  }

  private batchJson(batch: StoredBatch) {
    const at = (ms: number | undefined) => (ms === undefined ? null : Math.floor(ms / 1000));
    const ended = at(batch.endedAt);
    return {
      id: batch.id,
      object: 'batch',
      endpoint: batch.endpoint,
      errors: batch.errors ? { object: 'list', data: batch.errors } : null,
      input_file_id: batch.inputFileId,
      completion_window: batch.completionWindow,
      status: batch.status,
      output_file_id: batch.outputFileId ?? null,
      error_file_id: batch.errorFileId ?? null,
      created_at: at(batch.createdAt),
      in_progress_at: at(batch.inProgressAt),
      expires_at: at(batch.createdAt + 24 * 3600 * 1000),
      completed_at: batch.status === 'completed' ? ended : null,
      failed_at: batch.status === 'failed' ? ended : null,
      expired_at: batch.status === 'expired' ? ended : null,
      cancelled_at: batch.status === 'cancelled' ? ended : null,
      request_counts: batch.counts,
      metadata: batch.metadata,
    };
  }
}

function now(): number {
  return Date.now();
}

function json(status: number, value: unknown): Answer {
  return { status, body: JSON.stringify(value), fault: null };
}

function invalid(message: string, param: string | null = null): Answer {
  return errorAnswer(400, { message, type: 'invalid_request_error', param });
}

function notFound(message: string): Answer {
  return errorAnswer(404, { message, type: 'invalid_request_error' });
}

function fileJson(file: StoredFile) {
  return {
    id: file.id,
    object: 'file',
    bytes: Buffer.byteLength(file.content),
    created_at: Math.floor(file.createdAt / 1000),
    filename: file.filename,
    purpose: file.purpose,
    status: 'processed',
  };
}

function readRaw(req: IncomingMessage, maxBytes: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
    });
    req.on('end', () => resolve(size <= maxBytes ? Buffer.concat(chunks) : null));
    req.on('error', reject);
  });
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const raw = await readRaw(req, 1024 * 1024);
  try {
    return raw === null ? null : (JSON.parse(raw.toString('utf8')) as unknown);
  } catch {
    return null;
  }
}

/** The parts of a multipart/form-data body: name, filename, content. */
function multipart(body: Buffer, boundary: string): Array<{ name: string; filename?: string; content: Buffer }> {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: Array<{ name: string; filename?: string; content: Buffer }> = [];
  let start = body.indexOf(delimiter);
  while (start >= 0) {
    const next = body.indexOf(delimiter, start + delimiter.length);
    if (next < 0) break;
    const part = body.subarray(start + delimiter.length + 2, next - 2); // skip CRLF after the delimiter and before the next
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd >= 0) {
      const headers = part.subarray(0, headerEnd).toString('utf8');
      const name = /name="([^"]*)"/i.exec(headers)?.[1];
      const filename = /filename="([^"]*)"/i.exec(headers)?.[1];
      if (name !== undefined) parts.push({ name, filename, content: part.subarray(headerEnd + 4) });
    }
    start = next;
  }
  return parts;
}
