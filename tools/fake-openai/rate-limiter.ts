import type { Answer } from './answer';
import type { FakeOpenAIConfig } from './config';
import { formatDuration } from './duration';
import { rateLimitReached, requestTooLarge } from './openai-errors';
import { SlidingWindow } from './sliding-window';

type Limits = FakeOpenAIConfig['limits'];

/**
 * Requests-per-minute and tokens-per-minute limits over a sliding window. A refused
 * request is refused whole and uses up neither window.
 */
export class RateLimiter {
  private readonly requests = new SlidingWindow();
  private readonly tokens = new SlidingWindow();

  /** Admits and records the request, or returns OpenAI's 429 for it. */
  admit(model: string, tokens: number, limits: Limits, now: number): Answer | null {
    this.evict(limits, now);
    const { requestsPerMinute: rpm, tokensPerMinute: tpm, windowMs } = limits;
    if (rpm !== null && this.requests.total + 1 > rpm) {
      const retryAfterMs = this.requests.msUntilFreed(this.requests.total + 1 - rpm, now, windowMs);
      return rateLimitReached({ model, kind: 'requests', limit: rpm, used: this.requests.total, requested: 1, retryAfterMs }, 'rpm-limit');
    }
    if (tpm !== null && tokens > tpm) return requestTooLarge(model, tpm, tokens);
    if (tpm !== null && this.tokens.total + tokens > tpm) {
      const retryAfterMs = this.tokens.msUntilFreed(this.tokens.total + tokens - tpm, now, windowMs);
      return rateLimitReached({ model, kind: 'tokens', limit: tpm, used: this.tokens.total, requested: tokens, retryAfterMs }, 'tpm-limit');
    }
    this.requests.add(now, 1);
    this.tokens.add(now, tokens);
    return null;
  }

  /** OpenAI's `x-ratelimit-*` headers for each configured limit; reset = until the window is empty again. */
  headers(limits: Limits, now: number): Record<string, string> {
    this.evict(limits, now);
    const headers: Record<string, string> = {};
    const { requestsPerMinute: rpm, tokensPerMinute: tpm, windowMs } = limits;
    if (rpm !== null) {
      headers['x-ratelimit-limit-requests'] = String(rpm);
      headers['x-ratelimit-remaining-requests'] = String(Math.max(0, rpm - this.requests.total));
      headers['x-ratelimit-reset-requests'] = formatDuration(this.requests.msUntilEmpty(now, windowMs));
    }
    if (tpm !== null) {
      headers['x-ratelimit-limit-tokens'] = String(tpm);
      headers['x-ratelimit-remaining-tokens'] = String(Math.max(0, tpm - this.tokens.total));
      headers['x-ratelimit-reset-tokens'] = formatDuration(this.tokens.msUntilEmpty(now, windowMs));
    }
    return headers;
  }

  clear(): void {
    this.requests.clear();
    this.tokens.clear();
  }

  private evict(limits: Limits, now: number): void {
    this.requests.evict(now, limits.windowMs);
    this.tokens.evict(now, limits.windowMs);
  }
}
