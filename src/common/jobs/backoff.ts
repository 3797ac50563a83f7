export interface BackoffSettings {
  baseMs: number;
  capMs: number;
}

/**
 * Exponential backoff with equal jitter: half the exponential delay is fixed, the other
 * half random, so retries of one failed batch spread out instead of returning together.
 * A provider's Retry-After is a floor (and may exceed the cap: the provider knows best).
 */
export function retryDelayMs(attemptsMade: number, settings: BackoffSettings, retryAfterMs?: number, random: () => number = Math.random): number {
  const exponent = Math.max(0, attemptsMade - 1);
  const ceiling = Math.min(settings.capMs, settings.baseMs * 2 ** Math.min(exponent, 40));
  const delay = Math.round(ceiling / 2 + random() * (ceiling / 2));
  return retryAfterMs !== undefined ? Math.max(delay, retryAfterMs) : delay;
}
