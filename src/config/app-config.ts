import { envSchema, type Env, type ProcessRole } from './config.schema';

/** The typed configuration every module receives (token APP_CONFIG). */
export interface AppConfig {
  roles: ProcessRole[];
  http: { host: string; port: number; bodyLimitMb: number };
  logLevel: Env['LOG_LEVEL'];
  database: { url: string; poolSize: number; statementTimeoutMs: number; runMigrations: boolean };
  redis: { url: string; prefix: string };
  auth: { apiKeys: string[]; adminApiKeys: string[]; metricsPublic: boolean };
  openai: { apiKey?: string; baseURL: string; timeoutMs: number; defaultModel?: string };
  queue: {
    concurrency: number;
    batchMaxInputs: number;
    batchMaxTokens: number;
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
  search: { efSearch: number };
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
  if (problems.length > 0) throw new ConfigError(problems);

  return {
    roles: e.ROLE,
    http: { host: e.HOST, port: e.PORT, bodyLimitMb: e.BODY_LIMIT_MB },
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
    search: { efSearch: e.SEARCH_EF_SEARCH },
  };
}

export function hasRole(config: AppConfig, role: ProcessRole): boolean {
  return config.roles.includes(role);
}
