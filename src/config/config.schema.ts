import { z } from 'zod';
import { envBoolean, envInt, envList, envNumber, envOptionalString, envUrl } from './env-types';

export const PROCESS_ROLES = ['api', 'worker', 'scheduler'] as const;
export type ProcessRole = (typeof PROCESS_ROLES)[number];

const roleList = z
  .string()
  .default('all')
  .transform((value, ctx) => {
    const parts = value
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean);
    if (parts.includes('all')) return [...PROCESS_ROLES];
    const unknown = parts.filter((part) => !(PROCESS_ROLES as readonly string[]).includes(part));
    if (parts.length === 0 || unknown.length > 0) {
      ctx.addIssue({ code: 'custom', message: `must be all, or a comma list of ${PROCESS_ROLES.join(', ')}` });
      return z.NEVER;
    }
    return [...new Set(parts)] as ProcessRole[];
  });

/**
 * Every environment variable the service reads, with its default. `.env.example`
 * documents the same list; `config.spec` checks the two agree.
 */
export const envSchema = z.object({
  ROLE: roleList,
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: envInt(3000, 0, 65535),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  BODY_LIMIT_MB: envInt(16, 1, 512),
  HTTP_SHUTDOWN_GRACE_MS: envInt(10_000, 0, 600_000),
  SSE_MAX_STREAMS_PER_KEY: envInt(5, 1, 10_000),
  IDEMPOTENCY_KEY_RETENTION_MS: envInt(86_400_000, 1_000, 2_592_000_000),

  DATABASE_URL: envUrl('postgres://postgres@127.0.0.1:5432/embeddings', ['postgres:', 'postgresql:']),
  DATABASE_POOL_SIZE: envInt(10, 1, 200),
  DATABASE_STATEMENT_TIMEOUT_MS: envInt(60_000, 0, 3_600_000),
  MIGRATIONS_RUN: envBoolean(true),

  REDIS_URL: envUrl('redis://127.0.0.1:6379', ['redis:', 'rediss:']),
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,40}$/, 'must be 1–40 letters, digits, _ . or -')
    .default('emb'),

  API_KEYS: envList(),
  ADMIN_API_KEYS: envList(),
  METRICS_PUBLIC: envBoolean(false),

  OPENAI_API_KEY: envOptionalString(),
  OPENAI_BASE_URL: envUrl('https://api.openai.com/v1', ['http:', 'https:']),
  OPENAI_TIMEOUT_MS: envInt(30_000, 100, 600_000),
  EMBEDDING_MODEL: envOptionalString(),

  QUEUE_CONCURRENCY: envInt(512, 1, 4096),
  QUEUE_BATCH_MAX_INPUTS: envInt(256, 1, 2048),
  QUEUE_BATCH_MAX_TOKENS: envInt(300_000, 1_000, 300_000),
  QUEUE_BATCH_QUIET_MS: envInt(10, 0, 10_000),
  QUEUE_BATCH_MAX_WAIT_MS: envInt(250, 0, 60_000),
  QUEUE_MAX_ATTEMPTS: envInt(3, 1, 50),
  QUEUE_BACKOFF_BASE_MS: envInt(1_000, 1, 3_600_000),
  QUEUE_BACKOFF_CAP_MS: envInt(300_000, 1, 86_400_000),
  QUEUE_STALLED_INTERVAL_MS: envInt(30_000, 1_000, 3_600_000),
  QUEUE_LOCK_DURATION_MS: envInt(30_000, 1_000, 3_600_000),
  RECONCILE_INTERVAL_MS: envInt(60_000, 1_000, 86_400_000),
  RECONCILE_PAGE_SIZE: envInt(1_000, 10, 100_000),
  SHUTDOWN_GRACE_MS: envInt(30_000, 0, 600_000),

  BREAKER_FAILURE_THRESHOLD: envInt(5, 1, 10_000),
  BREAKER_RECOVERY_TIMEOUT_MS: envInt(60_000, 100, 86_400_000),
  BREAKER_HALF_OPEN_PROBES: envInt(1, 1, 100),
  BREAKER_FAILURE_RATE: envNumber(0, 0, 1),
  BREAKER_MIN_CALLS: envInt(20, 1, 100_000),
  BREAKER_RATE_WINDOW_MS: envInt(60_000, 1_000, 86_400_000),
  BREAKER_SLOW_CALL_MS: envInt(0, 0, 3_600_000),
  RATE_LIMIT_RPM: envInt(0, 0, 100_000_000),
  RATE_LIMIT_TPM: envInt(0, 0, 2_000_000_000),
  RATE_LIMIT_WINDOW_MS: envInt(60_000, 1_000, 3_600_000),
  RATE_LIMIT_MAX_WAIT_MS: envInt(10_000, 0, 3_600_000),
  RATE_LIMIT_MAX_BLOCK_MS: envInt(300_000, 1_000, 86_400_000),

  SEARCH_EF_SEARCH: envInt(100, 10, 1000),
  SEARCH_DEFAULT_MODE: z.enum(['vector', 'lexical', 'hybrid']).default('vector'),
  SEARCH_EMBED_TIMEOUT_MS: envInt(2_000, 50, 120_000),
  SEARCH_CACHE_TTL_S: envInt(86_400, 0, 31_536_000),
  SEARCH_CACHE_MAX_ENTRIES: envInt(100_000, 1, 10_000_000),
  SEARCH_RRF_K: envInt(60, 1, 10_000),
  SEARCH_LEXICAL_MAX_CANDIDATES: envInt(5_000, 100, 1_000_000),
  SEARCH_TEXT_CONFIG: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a PostgreSQL text search configuration name')
    .default('english'),

  NEAR_DUPLICATE_SYNC_MAX_VECTORS: envInt(5_000, 0, 100_000),
  NEAR_DUPLICATE_INGEST_CHECK: envBoolean(true),
  NEAR_DUPLICATE_INGEST_THRESHOLD: envNumber(0.95, 0.8, 1),
  NEAR_DUPLICATE_INGEST_NEIGHBOURS: envInt(10, 1, 100),
  DRIFT_TOLERANCE: envNumber(0.999, 0, 1),
  DRIFT_CANARY_ENABLED: envBoolean(false),
  DRIFT_CANARY_INTERVAL_MS: envInt(86_400_000, 1_000, 604_800_000),
  DRIFT_CANARY_SAMPLE_SIZE: envInt(100, 1, 5_000),

  MIGRATION_TICK_MS: envInt(1_000, 50, 60_000),
  MIGRATION_WINDOW_BATCHES: envInt(20, 1, 1_000),
  MIGRATION_PACING: envBoolean(true),
  MIGRATION_PACING_SEARCH_P99_RATIO: envNumber(1.5, 0, 100).refine((ratio) => ratio === 0 || ratio >= 1, 'must be 0 (off) or at least 1'),
  MIGRATION_PACING_SEARCH_P99_MS: envInt(0, 0, 600_000),
  MIGRATION_PACING_WINDOW_MS: envInt(10_000, 1_000, 60_000),
  MIGRATION_MAX_FAILURE_SHARE: envNumber(0.05, 0, 1),
  MIGRATION_COMPARISON_SAMPLE: envInt(50, 1, 1_000),
  MIGRATION_GATE_METRIC: z.enum(['recall@1', 'recall@5', 'recall@10', 'mrr@10', 'ndcg@10']).default('recall@10'),
  MIGRATION_GATE_MARGIN: envNumber(0.01, 0, 1),

  BATCH_LANE_MAX_REQUESTS: envInt(50_000, 1, 50_000),
  BATCH_LANE_MAX_TOKENS: envInt(20_000_000, 1_000, 2_000_000_000),
  BATCH_LANE_MAX_FILE_MB: envInt(190, 1, 200),
  BATCH_LANE_MAX_IN_FLIGHT: envInt(2, 1, 100),
  BATCH_LANE_POLL_MS: envInt(30_000, 50, 3_600_000),

  EVALUATION_MAX_QUERIES: envInt(5_000, 1, 100_000),
  EVALUATION_CAPTURED_SAMPLE: envInt(500, 0, 100_000),
  EVALUATION_CAPTURE_QUERIES: envBoolean(false),
  EVALUATION_CAPTURE_RETENTION_DAYS: envInt(30, 1, 3_650),
  SEARCH_SHADOW_SHARE: envNumber(0, 0, 1),
  SEARCH_SHADOW_MAX_IN_FLIGHT: envInt(4, 1, 1_000),

  COST_ALERT_CHECK_INTERVAL_MS: envInt(60_000, 100, 86_400_000),
  COST_ALERT_WEBHOOK_URL: envOptionalString().refine(
    (value) => value === undefined || (/^https?:\/\//.test(value) && URL.canParse(value)),
    'must be a URL starting with http:// or https://',
  ),
  COST_ALERT_WEBHOOK_TIMEOUT_MS: envInt(5_000, 100, 120_000),
  COST_ALERT_WEBHOOK_MAX_ATTEMPTS: envInt(8, 1, 100),
  COST_ALERT_WEBHOOK_BACKOFF_BASE_MS: envInt(2_000, 10, 3_600_000),
  COST_ALERT_WEBHOOK_BACKOFF_CAP_MS: envInt(600_000, 10, 86_400_000),
  COST_BUDGET_GATE_CACHE_MS: envInt(10_000, 0, 3_600_000),
});

export type Env = z.infer<typeof envSchema>;
