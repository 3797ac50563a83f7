import { z } from 'zod';
import { envBoolean, envInt, envList, envOptionalString, envUrl } from './env-types';

export const PROCESS_ROLES = ['api', 'worker', 'scheduler'] as const;
export type ProcessRole = (typeof PROCESS_ROLES)[number];

const roleList = z
  .string()
  .default('all')
  .transform((value, ctx) => {
    const parts = value.split(',').map((part) => part.trim()).filter(Boolean);
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

  DATABASE_URL: envUrl('postgres://postgres@127.0.0.1:5432/embeddings', ['postgres:', 'postgresql:']),
  DATABASE_POOL_SIZE: envInt(10, 1, 200),
  DATABASE_STATEMENT_TIMEOUT_MS: envInt(60_000, 0, 3_600_000),
  MIGRATIONS_RUN: envBoolean(true),

  REDIS_URL: envUrl('redis://127.0.0.1:6379', ['redis:', 'rediss:']),
  REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9_.-]{1,40}$/, 'must be 1–40 letters, digits, _ . or -').default('emb'),

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
  QUEUE_BATCH_MAX_WAIT_MS: envInt(25, 0, 10_000),
  QUEUE_MAX_ATTEMPTS: envInt(3, 1, 50),
  QUEUE_BACKOFF_BASE_MS: envInt(1_000, 1, 3_600_000),
  QUEUE_BACKOFF_CAP_MS: envInt(300_000, 1, 86_400_000),
  QUEUE_STALLED_INTERVAL_MS: envInt(30_000, 1_000, 3_600_000),
  QUEUE_LOCK_DURATION_MS: envInt(30_000, 1_000, 3_600_000),
  RECONCILE_INTERVAL_MS: envInt(60_000, 1_000, 86_400_000),
  RECONCILE_PAGE_SIZE: envInt(1_000, 10, 100_000),
  SHUTDOWN_GRACE_MS: envInt(30_000, 0, 600_000),

  SEARCH_EF_SEARCH: envInt(100, 10, 1000),
});

export type Env = z.infer<typeof envSchema>;
