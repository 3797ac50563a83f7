import { z } from 'zod';

/**
 * Everything that can be changed at run time: injected faults, rate limits, per-model
 * variants and noise. `next` fields are one-shot counters, spent as requests hit them.
 */
export interface FakeOpenAIConfig {
  /** Delay before every answer: `ms` plus a uniform random 0..`jitterMs`. */
  latency: { ms: number; jitterMs: number };
  /** Random server errors: each request fails with `status` at probability `rate`. */
  errors: { rate: number; status: ServerErrorStatus };
  /** The next `next` requests fail with `status`; message/code/type override OpenAI's wording. */
  fail: { next: number; status: number; message: string | null; code: string | null; type: string | null };
  /** Every request answers 503 while true. */
  outage: boolean;
  /** Every request answers 401 `invalid_api_key` while true, whatever key it presents: a revoked or rotated key. */
  invalidApiKey: boolean;
  /** A request any of whose inputs holds a cl100k special token (`<|endoftext|>` …) answers 500 while true, as OpenAI was reported to. */
  rejectSpecialTokens: boolean;
  /** 429 `rate_limit_exceeded` with `retry-after(-ms)`: the next `next` requests, and any at probability `rate`. */
  rateLimit: { next: number; rate: number; retryAfterMs: number };
  /** 429 `insufficient_quota` (never worth retrying): the next `next` requests, or every one while `all`. */
  insufficientQuota: { next: number; all: boolean };
  /** Accept the request and never answer: the next `next` requests, or every one while `all`. */
  hang: { next: number; all: boolean };
  /** The next `next` successful answers come back broken in the way `kind` says. */
  malformed: { next: number; kind: MalformedKind };
  /** Requests and tokens per sliding window (`windowMs`, a minute by default); null = unlimited. */
  limits: { requestsPerMinute: number | null; tokensPerMinute: number | null; windowMs: number };
  /** Integer seed per model name (default 0): a new value silently changes every vector of that model. */
  variants: Record<string, number>;
  /** Standard deviation of gaussian noise added per component on every call (then renormalised); 0 = exact. */
  noise: number;
  /** Noise per model name, in place of `noise` for that model: a deliberately worse model behind a name. */
  modelNoise: Record<string, number>;
  /** The Batch API (`/v1/files`, `/v1/batches`); see batch-api.ts. */
  batches: BatchFaults;
}

/**
 * How batches behave: `completionMs` from in_progress to completed (lines finish evenly over
 * it: a long one is a slow in_progress); the next `failValidation` batches fail validation;
 * the next `expire` batches expire once `expireAtShare` of their lines are done (partial
 * output); every `lineErrorEvery`-th line (1-based, 0 = none) fails with `lineErrorStatus`
 * in the error file.
 */
export interface BatchFaults {
  completionMs: number;
  failValidation: number;
  expire: number;
  expireAtShare: number;
  lineErrorEvery: number;
  lineErrorStatus: number;
}

export type ServerErrorStatus = 500 | 502 | 503;

/**
 * - `invalid-json`: a truncated JSON body;
 * - `wrong-shape`: valid JSON whose `data` is not an array;
 * - `fewer-vectors`: a well-formed list with the last vector missing.
 */
export type MalformedKind = 'invalid-json' | 'wrong-shape' | 'fewer-vectors';

const count = z.number().int().min(0);
const probability = z.number().min(0).max(1);
const milliseconds = z.number().min(0);
const limit = z.number().int().positive().nullable();

/** Any top-level group, each of its fields optional: groups merge field by field. */
export type FakeOpenAIConfigPatch = {
  [K in keyof FakeOpenAIConfig]?: FakeOpenAIConfig[K] extends object ? Partial<FakeOpenAIConfig[K]> : FakeOpenAIConfig[K];
};

const patchSchema = z
  .object({
    latency: z.object({ ms: milliseconds, jitterMs: milliseconds }).partial().strict(),
    errors: z
      .object({ rate: probability, status: z.union([z.literal(500), z.literal(502), z.literal(503)]) })
      .partial()
      .strict(),
    fail: z
      .object({
        next: count,
        status: z.number().int().min(400).max(599),
        message: z.string().nullable(),
        code: z.string().nullable(),
        type: z.string().nullable(),
      })
      .partial()
      .strict(),
    outage: z.boolean(),
    invalidApiKey: z.boolean(),
    rejectSpecialTokens: z.boolean(),
    rateLimit: z.object({ next: count, rate: probability, retryAfterMs: milliseconds }).partial().strict(),
    insufficientQuota: z.object({ next: count, all: z.boolean() }).partial().strict(),
    hang: z.object({ next: count, all: z.boolean() }).partial().strict(),
    malformed: z
      .object({ next: count, kind: z.enum(['invalid-json', 'wrong-shape', 'fewer-vectors']) })
      .partial()
      .strict(),
    limits: z.object({ requestsPerMinute: limit, tokensPerMinute: limit, windowMs: z.number().int().positive() }).partial().strict(),
    variants: z.record(z.number().int()),
    noise: z.number().min(0),
    modelNoise: z.record(z.number().min(0)),
    batches: z
      .object({
        completionMs: milliseconds,
        failValidation: count,
        expire: count,
        expireAtShare: probability,
        lineErrorEvery: count,
        lineErrorStatus: z.number().int().min(400).max(599),
      })
      .partial()
      .strict(),
  })
  .partial()
  .strict() satisfies z.ZodType<FakeOpenAIConfigPatch, z.ZodTypeDef, unknown>;

export function defaultConfig(): FakeOpenAIConfig {
  return {
    latency: { ms: 0, jitterMs: 0 },
    errors: { rate: 0, status: 500 },
    fail: { next: 0, status: 500, message: null, code: null, type: null },
    outage: false,
    invalidApiKey: false,
    rejectSpecialTokens: false,
    rateLimit: { next: 0, rate: 0, retryAfterMs: 1000 },
    insufficientQuota: { next: 0, all: false },
    hang: { next: 0, all: false },
    malformed: { next: 0, kind: 'invalid-json' },
    limits: { requestsPerMinute: null, tokensPerMinute: null, windowMs: 60_000 },
    variants: {},
    noise: 0,
    modelNoise: {},
    batches: { completionMs: 200, failValidation: 0, expire: 0, expireAtShare: 0.5, lineErrorEvery: 0, lineErrorStatus: 400 },
  };
}

export class InvalidConfigError extends Error {}

/** Validates `patch` (from code or JSON alike) and returns `config` with it applied. */
export function applyPatch(config: FakeOpenAIConfig, patch: unknown): FakeOpenAIConfig {
  const parsed = patchSchema.safeParse(patch);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new InvalidConfigError(`invalid fake-openai config: ${issues.join('; ')}`);
  }
  const next = cloneConfig(config);
  const target = next as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(parsed.data)) {
    if (value === undefined) continue;
    const current = target[key];
    target[key] = typeof value === 'object' && value !== null ? { ...(current as object), ...withoutUndefined(value) } : value;
  }
  return next;
}

export function cloneConfig(config: FakeOpenAIConfig): FakeOpenAIConfig {
  return structuredClone(config);
}

function withoutUndefined(value: object): object {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined));
}
