import { Logger } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { ProviderResponse } from '../embeddings/providers/embedding-provider';
import { classifyProviderError, type ProviderError } from '../embeddings/providers/provider-error';
import type { CircuitBreaker } from './circuit-breaker';
import type { Admission, BreakerState } from './breaker-types';
import { ProviderUnavailableError, type UnavailableReason } from './provider-unavailable-error';
import type { RateBudget } from './rate-budget';

/** How long the budget is blocked after a 429 that names no Retry-After, so retries do not hammer. */
const RATE_LIMITED_FALLBACK_BLOCK_MS = 1_000;

/** What the guard reads from a provider's answer. */
type GuardedResponse = Pick<ProviderResponse, 'reportedTokens' | 'headers'>;

export interface ProviderGuardOptions {
  /** Longest a call waits for the rate budget (429 retries included) before it gives up as unavailable. */
  maxWaitMs: number;
  /** Retry hint after a failure that opened the breaker (the breaker's recovery timeout). */
  recoveryTimeoutMs: number;
  /** The configured tokens per window: a request above it would be refused for ever, so none may be larger. */
  maxRequestTokens?: number;
}

export interface ProviderGuardEvents {
  /** A call was not made: breaker not admitting, or the budget wait would be too long. */
  rejected: [UnavailableReason];
  /** How long a call waited for the rate budget (0 when it was granted at once). */
  budgetWait: [number];
  /** The provider answered an ordinary 429. */
  rateLimited: [];
}

/**
 * The breaker and the rate budget in front of one provider endpoint, and the one way to call
 * it: wait for the budget, ask the breaker, call, then record the outcome, learn the
 * provider's limits, honour its Retry-After and settle the tokens it reports.
 */
export class ProviderGuard extends EventEmitter<ProviderGuardEvents> {
  private readonly logger: Logger;

  constructor(
    readonly name: string,
    readonly breaker: CircuitBreaker,
    readonly budget: RateBudget,
    private readonly options: ProviderGuardOptions,
  ) {
    super();
    this.logger = new Logger(`ProviderGuard:${name}`);
  }

  get maxRequestTokens(): number | undefined {
    return this.options.maxRequestTokens;
  }

  /**
   * Sends one request of `tokens` (counted locally, before sending). Throws the classified
   * ProviderError of a failed call, or ProviderUnavailableError when the call was not made
   * (or failed while the breaker is open, so the failure is the outage's, not the caller's).
   * Ordinary 429s are waited out here, within `maxWaitMs`, so they never reach the caller.
   */
  async call<R extends GuardedResponse>(tokens: number, send: () => Promise<R>): Promise<R> {
    const deadline = performance.now() + this.options.maxWaitMs;
    for (;;) {
      const reservationId = await this.waitForBudget(tokens, deadline);
      const admission = await this.breaker.acquire();
      if (!admission.allowed) {
        // The request never left: give its tokens back (the request itself stays counted).
        void this.bookkeeping(this.budget.settle(reservationId, 0));
        throw this.rejected(ProviderUnavailableError.notAdmitted(this.name, admission));
      }
      const started = performance.now();
      let response: R;
      try {
        response = await send();
      } catch (caught) {
        const error = classifyProviderError(caught);
        const state = await this.afterFailure(reservationId, admission, tokens, error, performance.now() - started);
        if (error.kind === 'rate_limited') {
          this.emit('rateLimited');
          continue; // the budget now holds the provider's block; waitForBudget gives up past the deadline
        }
        if (error.countsAsOutage && state !== undefined && state !== 'closed') {
          throw new ProviderUnavailableError(
            this.name,
            'breaker_open',
            this.options.recoveryTimeoutMs,
            `the ${this.name} circuit breaker is ${state} after: ${error.message}`,
            error,
          );
        }
        throw error;
      }
      await this.afterSuccess(reservationId, admission, tokens, response, performance.now() - started);
      return response;
    }
  }

  private async waitForBudget(tokens: number, deadline: number): Promise<string> {
    const started = performance.now();
    const turn = await this.budget.waitForTurn(tokens, { maxWaitMs: Math.max(0, deadline - started) });
    this.emit('budgetWait', performance.now() - started);
    if (turn.granted) return turn.reservationId;
    throw this.rejected(
      new ProviderUnavailableError(this.name, 'rate_limited', turn.waitMs, `the ${this.name} rate budget is used up; retry in ${turn.waitMs} ms`),
    );
  }

  private rejected(error: ProviderUnavailableError): ProviderUnavailableError {
    this.emit('rejected', error.reason);
    return error;
  }

  /** After the call was made, Redis trouble must not turn a served request into a failure: it is logged. */
  private async afterSuccess(reservationId: string, admission: Admission, tokens: number, response: GuardedResponse, durationMs: number): Promise<void> {
    await Promise.all([
      this.bookkeeping(this.breaker.recordSuccess(admission, durationMs)),
      this.bookkeeping(this.budget.settle(reservationId, response.reportedTokens ?? tokens)),
      response.headers ? this.bookkeeping(this.budget.learnFromHeaders(response.headers)) : undefined,
    ]);
  }

  private async afterFailure(
    reservationId: string,
    admission: Admission,
    tokens: number,
    error: ProviderError,
    durationMs: number,
  ): Promise<BreakerState | undefined> {
    const { headers, status, retryAfterMs } = error.details;
    const [state] = await Promise.all([
      this.bookkeeping(this.breaker.recordFailure(admission, error, durationMs)),
      headers ? this.bookkeeping(this.budget.learnFromHeaders(headers)) : undefined,
      // An answered error was not served: its tokens do not count. Without an answer (a timeout) they may have.
      this.bookkeeping(this.budget.settle(reservationId, status !== undefined ? 0 : tokens)),
      // Cluster-wide and however long the provider asks (the SDK would cap it at 60 s).
      error.kind === 'rate_limited' ? this.bookkeeping(this.budget.blockFor(retryAfterMs ?? RATE_LIMITED_FALLBACK_BLOCK_MS)) : undefined,
    ]);
    return state;
  }

  private async bookkeeping<T>(step: Promise<T>): Promise<T | undefined> {
    try {
      return await step;
    } catch (error) {
      this.logger.warn({ err: error }, 'could not update the breaker or the rate budget in Redis');
      return undefined;
    }
  }
}
