import { envSchema, type Env, type ProcessRole } from './config.schema';

/** The typed configuration every module receives (token APP_CONFIG). */
export interface AppConfig {
  roles: ProcessRole[];
  /** idempotencyKeyRetentionMs: how long an `Idempotency-Key` of a create is remembered. */
  http: { host: string; port: number; bodyLimitMb: number; idempotencyKeyRetentionMs: number };
  logLevel: Env['LOG_LEVEL'];
  database: { url: string; poolSize: number; statementTimeoutMs: number; runMigrations: boolean };
  redis: { url: string; prefix: string };
  auth: { apiKeys: string[]; adminApiKeys: string[]; metricsPublic: boolean };
  openai: { apiKey?: string; baseURL: string; timeoutMs: number; defaultModel?: string };
  queue: {
    concurrency: number;
    batchMaxInputs: number;
    batchMaxTokens: number;
    batchQuietMs: number;
    batchMaxWaitMs: number;
    maxAttempts: number;
    backoffBaseMs: number;
    backoffCapMs: number;
    stalledIntervalMs: number;
    lockDurationMs: number;
    reconcileIntervalMs: number;
    reconcilePageSize: number;
  };
  shutdownGraceMs: number;
  /** HTTP_SHUTDOWN_GRACE_MS and SSE_MAX_STREAMS_PER_KEY. */
  httpShutdownGraceMs: number;
  sseMaxStreamsPerKey: number;
  search: {
    efSearch: number;
    /** The mode a request without `mode` gets. */
    defaultMode: 'vector' | 'lexical' | 'hybrid';
    /** Longest a search waits for its query embedding before it answers from the lexical index. */
    embedTimeoutMs: number;
    /** Query-embedding cache: entry lifetime (0 = off) and most entries kept in Redis. */
    cacheTtlS: number;
    cacheMaxEntries: number;
    /** k of reciprocal rank fusion in hybrid mode. */
    rrfK: number;
    /** Most full-text matches ranked per lexical step (ranking reads each one's document). */
    lexicalMaxCandidates: number;
    /** Text search configuration the lexical index is built with (read by its schema migration). */
    textConfig: string;
  };
  compare: {
    /** Near-duplicate requests over at most this many 1536-d vectors (scaled by dimensions) answer in the request. */
    syncMaxVectors: number;
    ingestCheck: { enabled: boolean; threshold: number; neighbours: number };
    drift: { tolerance: number; canary: { enabled: boolean; intervalMs: number; sampleSize: number } };
  };
  costAnalytics: {
    alertCheckIntervalMs: number;
    webhook: { url?: string; timeoutMs: number; maxAttempts: number; backoffBaseMs: number; backoffCapMs: number };
    budgetGateCacheMs: number;
  };
  migration: {
    tickMs: number;
    windowBatches: number;
    /**
     * The window shrinks while search p99 (cluster-wide, over windowMs) is above the budget: the
     * lower of searchP99Ms and searchP99Ratio × the idle p99 (each off when unset).
     */
    pacing: { enabled: boolean; searchP99Ratio?: number; searchP99Ms?: number; windowMs: number };
    maxFailureShare: number;
    comparisonSample: number;
    /** The quality gate's default metric and the most the target may fall below the source on it. */
    gate: { metric: 'recall@1' | 'recall@5' | 'recall@10' | 'mrr@10' | 'ndcg@10'; margin: number };
  };
  /** The Batch API lane: per-batch limits (requests, enqueued tokens, input file size), batches in flight per migration, polling. */
  batchLane: { maxRequests: number; maxTokens: number; maxFileBytes: number; maxInFlight: number; pollMs: number };
  evaluation: {
    /** Most labelled queries one evaluation runs, and most captured queries it compares. */
    maxQueries: number;
    capturedSample: number;
    /** Keep real search queries (off unless set) for this many days. */
    captureQueries: boolean;
    captureRetentionDays: number;
    /** Share of live vector/hybrid searches also run on a migration's target in the background, and most at once per process. */
    shadowShare: number;
    shadowMaxInFlight: number;
  };
  /** The circuit breaker around each remote provider (failureRate and slowCallMs: off when unset). */
  breaker: {
    failureThreshold: number;
    recoveryTimeoutMs: number;
    halfOpenProbes: number;
    failureRate?: number;
    minCalls: number;
    rateWindowMs: number;
    slowCallMs?: number;
  };
  /** The shared rate budget per remote provider (rpm and tpm: unset = only what the provider's headers say). */
  rateLimit: { rpm?: number; tpm?: number; windowMs: number; maxWaitMs: number; maxBlockMs: number };
}

export const APP_CONFIG = Symbol('APP_CONFIG');

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  }
}

/** Validates the environment once; throws a ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  const e = parsed.data;
  const problems: string[] = [];
  if (e.QUEUE_BACKOFF_CAP_MS < e.QUEUE_BACKOFF_BASE_MS) {
    problems.push('QUEUE_BACKOFF_CAP_MS: must be at least QUEUE_BACKOFF_BASE_MS');
  }
  if (e.ROLE.includes('api') && e.API_KEYS.length === 0 && e.ADMIN_API_KEYS.length === 0) {
    problems.push('API_KEYS: the api role needs at least one key (API_KEYS or ADMIN_API_KEYS)');
  }
  if (e.COST_ALERT_WEBHOOK_BACKOFF_CAP_MS < e.COST_ALERT_WEBHOOK_BACKOFF_BASE_MS) {
    problems.push('COST_ALERT_WEBHOOK_BACKOFF_CAP_MS: must be at least COST_ALERT_WEBHOOK_BACKOFF_BASE_MS');
  }
  if (problems.length > 0) throw new ConfigError(problems);

  return {
    roles: e.ROLE,
    http: { host: e.HOST, port: e.PORT, bodyLimitMb: e.BODY_LIMIT_MB, idempotencyKeyRetentionMs: e.IDEMPOTENCY_KEY_RETENTION_MS },
    logLevel: e.LOG_LEVEL,
    database: {
      url: e.DATABASE_URL,
      poolSize: e.DATABASE_POOL_SIZE,
      statementTimeoutMs: e.DATABASE_STATEMENT_TIMEOUT_MS,
      runMigrations: e.MIGRATIONS_RUN,
    },
    redis: { url: e.REDIS_URL, prefix: e.REDIS_PREFIX },
    auth: { apiKeys: e.API_KEYS, adminApiKeys: e.ADMIN_API_KEYS, metricsPublic: e.METRICS_PUBLIC },
    openai: {
      apiKey: e.OPENAI_API_KEY,
      baseURL: e.OPENAI_BASE_URL,
      timeoutMs: e.OPENAI_TIMEOUT_MS,
      defaultModel: e.EMBEDDING_MODEL,
    },
    queue: {
      concurrency: e.QUEUE_CONCURRENCY,
      batchMaxInputs: e.QUEUE_BATCH_MAX_INPUTS,
      batchMaxTokens: e.QUEUE_BATCH_MAX_TOKENS,
      batchQuietMs: e.QUEUE_BATCH_QUIET_MS,
      batchMaxWaitMs: e.QUEUE_BATCH_MAX_WAIT_MS,
      maxAttempts: e.QUEUE_MAX_ATTEMPTS,
      backoffBaseMs: e.QUEUE_BACKOFF_BASE_MS,
      backoffCapMs: e.QUEUE_BACKOFF_CAP_MS,
      stalledIntervalMs: e.QUEUE_STALLED_INTERVAL_MS,
      lockDurationMs: e.QUEUE_LOCK_DURATION_MS,
      reconcileIntervalMs: e.RECONCILE_INTERVAL_MS,
      reconcilePageSize: e.RECONCILE_PAGE_SIZE,
    },
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    httpShutdownGraceMs: e.HTTP_SHUTDOWN_GRACE_MS,
    sseMaxStreamsPerKey: e.SSE_MAX_STREAMS_PER_KEY,
    search: {
      efSearch: e.SEARCH_EF_SEARCH,
      defaultMode: e.SEARCH_DEFAULT_MODE,
      embedTimeoutMs: e.SEARCH_EMBED_TIMEOUT_MS,
      cacheTtlS: e.SEARCH_CACHE_TTL_S,
      cacheMaxEntries: e.SEARCH_CACHE_MAX_ENTRIES,
      rrfK: e.SEARCH_RRF_K,
      lexicalMaxCandidates: e.SEARCH_LEXICAL_MAX_CANDIDATES,
      textConfig: e.SEARCH_TEXT_CONFIG,
    },
    compare: {
      syncMaxVectors: e.NEAR_DUPLICATE_SYNC_MAX_VECTORS,
      ingestCheck: {
        enabled: e.NEAR_DUPLICATE_INGEST_CHECK,
        threshold: e.NEAR_DUPLICATE_INGEST_THRESHOLD,
        neighbours: e.NEAR_DUPLICATE_INGEST_NEIGHBOURS,
      },
      drift: {
        tolerance: e.DRIFT_TOLERANCE,
        canary: { enabled: e.DRIFT_CANARY_ENABLED, intervalMs: e.DRIFT_CANARY_INTERVAL_MS, sampleSize: e.DRIFT_CANARY_SAMPLE_SIZE },
      },
    },
    costAnalytics: {
      alertCheckIntervalMs: e.COST_ALERT_CHECK_INTERVAL_MS,
      webhook: {
        url: e.COST_ALERT_WEBHOOK_URL,
        timeoutMs: e.COST_ALERT_WEBHOOK_TIMEOUT_MS,
        maxAttempts: e.COST_ALERT_WEBHOOK_MAX_ATTEMPTS,
        backoffBaseMs: e.COST_ALERT_WEBHOOK_BACKOFF_BASE_MS,
        backoffCapMs: e.COST_ALERT_WEBHOOK_BACKOFF_CAP_MS,
      },
      budgetGateCacheMs: e.COST_BUDGET_GATE_CACHE_MS,
    },
    migration: {
      tickMs: e.MIGRATION_TICK_MS,
      windowBatches: e.MIGRATION_WINDOW_BATCHES,
      pacing: {
        enabled: e.MIGRATION_PACING,
        searchP99Ratio: e.MIGRATION_PACING_SEARCH_P99_RATIO || undefined,
        searchP99Ms: e.MIGRATION_PACING_SEARCH_P99_MS || undefined,
        windowMs: e.MIGRATION_PACING_WINDOW_MS,
      },
      maxFailureShare: e.MIGRATION_MAX_FAILURE_SHARE,
      comparisonSample: e.MIGRATION_COMPARISON_SAMPLE,
      gate: { metric: e.MIGRATION_GATE_METRIC, margin: e.MIGRATION_GATE_MARGIN },
    },
    batchLane: {
      maxRequests: e.BATCH_LANE_MAX_REQUESTS,
      maxTokens: e.BATCH_LANE_MAX_TOKENS,
      maxFileBytes: e.BATCH_LANE_MAX_FILE_MB * 1024 * 1024,
      maxInFlight: e.BATCH_LANE_MAX_IN_FLIGHT,
      pollMs: e.BATCH_LANE_POLL_MS,
    },
    evaluation: {
      maxQueries: e.EVALUATION_MAX_QUERIES,
      capturedSample: e.EVALUATION_CAPTURED_SAMPLE,
      captureQueries: e.EVALUATION_CAPTURE_QUERIES,
      captureRetentionDays: e.EVALUATION_CAPTURE_RETENTION_DAYS,
      shadowShare: e.SEARCH_SHADOW_SHARE,
      shadowMaxInFlight: e.SEARCH_SHADOW_MAX_IN_FLIGHT,
    },
    breaker: {
      failureThreshold: e.BREAKER_FAILURE_THRESHOLD,
      recoveryTimeoutMs: e.BREAKER_RECOVERY_TIMEOUT_MS,
      halfOpenProbes: e.BREAKER_HALF_OPEN_PROBES,
      failureRate: e.BREAKER_FAILURE_RATE || undefined,
      minCalls: e.BREAKER_MIN_CALLS,
      rateWindowMs: e.BREAKER_RATE_WINDOW_MS,
      slowCallMs: e.BREAKER_SLOW_CALL_MS || undefined,
    },
    rateLimit: {
      rpm: e.RATE_LIMIT_RPM || undefined,
      tpm: e.RATE_LIMIT_TPM || undefined,
      windowMs: e.RATE_LIMIT_WINDOW_MS,
      maxWaitMs: e.RATE_LIMIT_MAX_WAIT_MS,
      maxBlockMs: e.RATE_LIMIT_MAX_BLOCK_MS,
    },
  };
}

export function hasRole(config: AppConfig, role: ProcessRole): boolean {
  return config.roles.includes(role);
}
