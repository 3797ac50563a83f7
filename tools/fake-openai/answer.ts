/** One HTTP answer before the common headers (request id, timing, rate limits) are added. */
export interface Answer {
  status: number;
  body: string | Buffer;
  headers?: Record<string, string>;
  /** Which injected fault or limit produced it, for the stats log; null for ordinary answers. */
  fault: string | null;
}

export interface OpenAIErrorBody {
  message: string;
  type: string;
  param?: string | null;
  code?: string | null;
}

export function errorAnswer(status: number, error: OpenAIErrorBody, fault: string | null = null, headers?: Record<string, string>): Answer {
  const body = JSON.stringify({ error: { message: error.message, type: error.type, param: error.param ?? null, code: error.code ?? null } });
  return { status, body, headers, fault };
}

export function retryAfterHeaders(ms: number): Record<string, string> {
  return { 'retry-after': String(Math.ceil(ms / 1000)), 'retry-after-ms': String(Math.ceil(ms)) };
}
