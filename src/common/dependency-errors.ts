/** How long a caller is told to wait when PostgreSQL or Redis is down. */
export const DEPENDENCY_RETRY_MS = 5_000;
/** How long the writes that keep what a provider already answered (its vectors, its settlement) wait out an outage. */
export const PAID_WORK_HOLD_MS = 60_000;

/** Connection-level failures of PostgreSQL (SQLSTATE class 08, 57P0x, 53300) or the network. */
const DEPENDENCY_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTCONN',
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '08000',
  '08001',
  '08003',
  '08006',
]);
/** The same failures as the drivers word them (ioredis, pg, pg-pool's connection timeout). */
const CONNECTION_LOST =
  /Connection is closed|MaxRetriesPerRequestError|Stream isn't writeable|Reached the max retries per request|Connection terminated|timeout exceeded when trying to connect|the database system is (starting up|shutting down|in recovery mode)|connect ECONNREFUSED|Client has encountered a connection error/;

/**
 * Whether an error means PostgreSQL or Redis is unreachable (a restart, a failover, a pool
 * that cannot connect) rather than anything about the request or the work: the API answers
 * 503, and the queue holds the work without spending an attempt. Follows `cause` chains.
 */
export function isDependencyDown(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    const e = current as { code?: unknown; name?: unknown; message?: unknown; driverError?: { code?: unknown }; cause?: unknown };
    const code = e.driverError?.code ?? e.code;
    if (typeof code === 'string' && DEPENDENCY_CODES.has(code)) return true;
    if (CONNECTION_LOST.test(`${String(e.name ?? '')} ${String(e.message ?? '')}`)) return true;
    current = e.cause;
  }
  return false;
}

/**
 * Runs `step`, and again (backing off up to DEPENDENCY_RETRY_MS) while it fails because
 * PostgreSQL or Redis is down, for at most `maxWaitMs`; then fails with the last error. For
 * writes that must not be lost to a restart, such as keeping what a provider already answered.
 */
export async function retryWhileDependencyDown<T>(step: () => Promise<T>, maxWaitMs: number): Promise<T> {
  const giveUpAt = Date.now() + maxWaitMs;
  for (let delayMs = 250; ; delayMs = Math.min(delayMs * 2, DEPENDENCY_RETRY_MS)) {
    try {
      return await step();
    } catch (error) {
      if (!isDependencyDown(error) || Date.now() + delayMs > giveUpAt) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, delayMs));
  }
}
