import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ProviderResponse } from '../embeddings/providers/embedding-provider';
import { classifyProviderError, type ProviderError } from '../embeddings/providers/provider-error';
import type { AcquireReply, CircuitBreaker, RecordedOutcome, StateReply } from './circuit-breaker';
import { type Admission, type BreakerState, CREDENTIALS_REJECTED } from './breaker-types';
import { LuaScript } from './lua-script';
import { ProviderUnavailableError, type UnavailableReason } from './provider-unavailable-error';
import type { BudgetLesson, RateBudget } from './rate-budget';
import { GUARD_ADMIT_LUA } from './scripts/guard-admit.lua';
import { GUARD_FINISH_LUA } from './scripts/guard-finish.lua';
import { ATTR } from '../tracing/semconv';
import { annotateActiveSpan } from '../tracing/spans';

const ADMIT_SCRIPT = new LuaScript(GUARD_ADMIT_LUA);
const FINISH_SCRIPT = new LuaScript(GUARD_FINISH_LUA);

/** The admit script's reply: the breaker's admission, then who refused ('' = admitted). */
type AdmitReply = [...AcquireReply, '' | 'breaker' | 'budget'];

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
 * it: ask the breaker, wait for the budget, call, then record the outcome, learn the
 * provider's limits, honour its Retry-After (capped) and settle the tokens it reports.
 * Both steps around the call are one Lua script each over the breaker's and the budget's
 * keys, run on the breaker's client: build the budget on the same Redis.
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
   * Two Redis round trips per call: one script before it (breaker admission and budget
   * reservation), one after (record, settle, learned limits, block).
   */
  async call<R extends GuardedResponse>(tokens: number, send: () => Promise<R>): Promise<R> {
    const deadline = performance.now() + this.options.maxWaitMs;
    for (;;) {
      const { admission, reservationId } = await this.admit(tokens, deadline);
      const started = performance.now();
      let response: R;
      try {
        response = await send();
      } catch (caught) {
        const error = classifyProviderError(caught);
        const state = await this.afterFailure(reservationId, admission, tokens, error, performance.now() - started);
        if (state !== undefined) annotateActiveSpan({ [ATTR.breakerStateAfter]: state });
        if (error.kind === 'rate_limited') {
          this.emit('rateLimited');
          continue; // the budget now holds the provider's block; admit gives up past the deadline
        }
        if (error.countsAsOutage && state !== undefined && state !== 'closed') throw this.outage(error, state);
        throw error;
      }
      await this.afterSuccess(reservationId, admission, tokens, response, performance.now() - started);
      return response;
    }
  }

  /** Waits for the budget (within the deadline) and the breaker's admission, one script per try. */
  private async admit(tokens: number, deadline: number): Promise<{ admission: Admission; reservationId: string }> {
    const started = performance.now();
    for (;;) {
      const permitId = randomUUID();
      const reservationId = randomUUID();
      const reply = (await ADMIT_SCRIPT.run(
        this.breaker.redis,
        [...this.breaker.scriptKeys, ...this.budget.scriptKeys],
        [...this.breaker.acquireArgs(permitId), ...this.budget.reserveArgs(reservationId, tokens)],
      )) as AdmitReply;
      const admission = this.breaker.admissionOf([...reply.slice(0, 8)] as AcquireReply, permitId);
      // On the provider call's span (when tracing): the state that admitted or refused it.
      annotateActiveSpan({ [ATTR.breakerState]: admission.state, [ATTR.breakerProbe]: admission.probe });
      const refusedBy = reply[8];
      if (refusedBy === 'breaker') throw this.rejected(ProviderUnavailableError.notAdmitted(this.name, admission));
      if (refusedBy === '') {
        this.emit('budgetWait', performance.now() - started);
        return { admission, reservationId };
      }
      const waitMs = admission.retryInMs;
      if (performance.now() + waitMs > deadline) {
        this.emit('budgetWait', performance.now() - started);
        throw this.rejected(
          new ProviderUnavailableError(this.name, 'rate_limited', waitMs, `the ${this.name} rate budget is used up; retry in ${waitMs} ms`),
        );
      }
      await sleep(waitMs);
    }
  }

  /** A failure that left the breaker open (it opened it, or another call did meanwhile) belongs to the outage, not to the caller. */
  private outage(error: ProviderError, state: BreakerState): ProviderUnavailableError {
    if (error.kind === 'credentials_rejected') {
      return new ProviderUnavailableError(
        this.name,
        'credentials_rejected',
        this.options.recoveryTimeoutMs,
        `the ${this.name} circuit breaker is ${state}: ${CREDENTIALS_REJECTED}`,
        error,
      );
    }
    return new ProviderUnavailableError(
      this.name,
      'breaker_open',
      this.options.recoveryTimeoutMs,
      `the ${this.name} circuit breaker is ${state} after: ${error.message}`,
      error,
    );
  }

  private rejected(error: ProviderUnavailableError): ProviderUnavailableError {
    this.emit('rejected', error.reason);
    return error;
  }

  /** After the call was made, Redis trouble must not turn a served request into a failure: it is logged. */
  private async afterSuccess(
    reservationId: string,
    admission: Admission,
    tokens: number,
    response: GuardedResponse,
    durationMs: number,
  ): Promise<void> {
    await this.finish(
      admission,
      this.breaker.successOutcome(durationMs),
      reservationId,
      response.reportedTokens ?? tokens,
      this.budget.lessonOf(response.headers),
    );
  }

  private afterFailure(
    reservationId: string,
    admission: Admission,
    tokens: number,
    error: ProviderError,
    durationMs: number,
  ): Promise<BreakerState | undefined> {
    const { headers, status, retryAfterMs } = error.details;
    // Cluster-wide, as long as the provider asks up to the budget's cap (the SDK would cap it at 60 s).
    const blockMs = error.kind === 'rate_limited' ? (retryAfterMs ?? RATE_LIMITED_FALLBACK_BLOCK_MS) : 0;
    // An answered error was not served: its tokens do not count. Without an answer (a timeout) they may have.
    const settled = status !== undefined ? 0 : tokens;
    return this.finish(admission, this.breaker.failureOutcome(error, durationMs), reservationId, settled, this.budget.lessonOf(headers, blockMs));
  }

  /** The one script after a call; returns the breaker's state after recording, undefined if Redis failed. */
  private async finish(
    admission: Admission,
    outcome: RecordedOutcome,
    reservationId: string,
    settledTokens: number,
    lesson: BudgetLesson,
  ): Promise<BreakerState | undefined> {
    const reply = await this.bookkeeping(
      FINISH_SCRIPT.run(
        this.breaker.redis,
        [...this.breaker.scriptKeys, ...this.budget.scriptKeys],
        [...this.breaker.recordArgs(admission, outcome), reservationId, settledTokens, this.budget.windowMs, ...this.budget.lessonArgs(lesson)],
      ),
    );
    return reply === undefined ? undefined : this.breaker.settleTransitions(reply as StateReply);
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
