import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { Redis } from 'ioredis';
import { classifyProviderError } from '../embeddings/providers/provider-error';
import { readBreakerHistory, readBreakerSnapshot, parseTransition } from './breaker-inspection';
import { breakerKeys, breakerScriptKeys } from './breaker-keys';
import { BreakerOpenError } from './breaker-open-error';
import { type CircuitBreakerOptions, type ResolvedBreakerOptions, resolveBreakerOptions } from './breaker-options';
import type { Admission, BreakerOpenCause, BreakerSnapshot, BreakerState, BreakerTransition, ForcedState } from './breaker-types';
import { LuaScript } from './lua-script';
import { BREAKER_ACQUIRE_LUA } from './scripts/breaker-acquire.lua';
import { BREAKER_CONTROL_LUA } from './scripts/breaker-control.lua';
import { BREAKER_RECORD_LUA } from './scripts/breaker-record.lua';

const ACQUIRE_SCRIPT = new LuaScript(BREAKER_ACQUIRE_LUA);
const RECORD_SCRIPT = new LuaScript(BREAKER_RECORD_LUA);
const CONTROL_SCRIPT = new LuaScript(BREAKER_CONTROL_LUA);

/** Keeps Redis hashes small; provider messages can carry whole request bodies. */
const MAX_ERROR_MESSAGE_LENGTH = 500;

type ControlAction = 'force_open' | 'force_closed' | 'release' | 'reset';
/** What the acquire script (and the guard's admit script, first eight fields) returns. */
export type AcquireReply = [number, number, BreakerState, ForcedState | '', number, number, string[], BreakerOpenCause | ''];
/** What the record and control scripts (and the guard's finish script) return. */
export type StateReply = [BreakerState, string[]];

/** How a call ended, as the record script takes it. */
export interface RecordedOutcome {
  outcome: 'success' | 'failure' | 'ignored';
  message: string;
  /** For a failure that opens a closed breaker at once (a refused API key): its cause. */
  opensAtOnce: BreakerOpenCause | null;
}

const IGNORED: RecordedOutcome = { outcome: 'ignored', message: '', opensAtOnce: null };

export interface CircuitBreakerEvents {
  /** A transition this process made (other processes emit their own). */
  transition: [BreakerTransition];
}

/**
 * A circuit breaker whose state lives in Redis and is shared by every process using the same
 * name and prefix. Each step (admit, record, control) is one Lua script, so concurrent callers
 * never lose updates, and time is Redis time.
 */
export class CircuitBreaker extends EventEmitter<CircuitBreakerEvents> {
  readonly name: string;
  private readonly options: ResolvedBreakerOptions;
  /** The KEYS of every breaker script (the guard's combined scripts start with them). */
  readonly scriptKeys: readonly string[];

  constructor(
    /** Shared with the guard, whose combined scripts run on the same client. */
    readonly redis: Redis,
    options: CircuitBreakerOptions,
  ) {
    super();
    this.options = resolveBreakerOptions(options);
    this.name = this.options.name;
    this.scriptKeys = breakerScriptKeys(breakerKeys(this.options.keyPrefix, this.name));
  }

  /** Runs `fn` if admitted and records how it ended; rejects with BreakerOpenError, without calling it, if not. */
  async call<Args extends unknown[], Result>(fn: (...args: Args) => Result | Promise<Result>, ...args: Args): Promise<Result> {
    const admission = await this.acquire();
    if (!admission.allowed) throw new BreakerOpenError(admission);
    const started = performance.now();
    let result: Result;
    try {
      result = await fn(...args);
    } catch (error) {
      await this.recordFailure(admission, error, performance.now() - started);
      throw error;
    }
    await this.recordSuccess(admission, performance.now() - started);
    return result;
  }

  /** Asks to make one call. Every allowed admission must be followed by exactly one record call. */
  async acquire(): Promise<Admission> {
    const permitId = randomUUID();
    const reply = (await ACQUIRE_SCRIPT.run(this.redis, this.scriptKeys, this.acquireArgs(permitId))) as AcquireReply;
    return this.admissionOf(reply, permitId);
  }

  /** A success, or a failure when `slowCallMs` is set and the call took longer. Returns the state after recording. */
  recordSuccess(admission: Admission, durationMs: number): Promise<BreakerState> {
    return this.record(admission, this.successOutcome(durationMs));
  }

  /**
   * Counts the error if it says the provider is unhealthy (transient, quota exhausted, a
   * refused API key, which opens the breaker at once); otherwise (rate limited, client
   * errors) it is recorded as ignored.
   */
  recordFailure(admission: Admission, error: unknown, durationMs?: number): Promise<BreakerState> {
    return this.record(admission, this.failureOutcome(error, durationMs));
  }

  /** Releases a probe permit without counting the call either way (for client errors). */
  recordIgnored(admission: Admission): Promise<BreakerState> {
    return this.record(admission, IGNORED);
  }

  /** ARGV of the acquire script (the guard's admit script starts with them). */
  acquireArgs(permitId: string): (string | number)[] {
    const { halfOpenMaxProbes, probeLeaseMs, recoveryTimeoutMs } = this.options;
    return [...this.commonArgs(), permitId, halfOpenMaxProbes, probeLeaseMs, recoveryTimeoutMs];
  }

  /** The admission an acquire reply says; emits the transitions the script made. */
  admissionOf(reply: AcquireReply, permitId: string): Admission {
    const [allowed, probe, state, forced, retryInMs, now, transitions, openCause] = reply;
    this.emitTransitions(transitions);
    return {
      breaker: this.name,
      allowed: allowed === 1,
      probe: probe === 1,
      permitId: probe === 1 ? permitId : null,
      state,
      forced: forced || null,
      openCause: openCause || null,
      retryInMs,
      retryAt: now + retryInMs,
    };
  }

  successOutcome(durationMs: number): RecordedOutcome {
    const { slowCallMs } = this.options;
    if (slowCallMs !== undefined && durationMs > slowCallMs) {
      return { outcome: 'failure', message: `slow call: ${Math.round(durationMs)} ms > ${slowCallMs} ms`, opensAtOnce: null };
    }
    return { outcome: 'success', message: '', opensAtOnce: null };
  }

  failureOutcome(error: unknown, durationMs?: number): RecordedOutcome {
    const classified = classifyProviderError(error);
    if (!classified.countsAsOutage) return IGNORED;
    const after = durationMs === undefined ? '' : ` (after ${Math.round(durationMs)} ms)`;
    return {
      outcome: 'failure',
      message: `${classified.kind}: ${classified.message}`.slice(0, MAX_ERROR_MESSAGE_LENGTH) + after,
      opensAtOnce: classified.opensBreakerAtOnce ? (classified.kind as BreakerOpenCause) : null,
    };
  }

  /** ARGV of the record script (the guard's finish script starts with them). */
  recordArgs(admission: Admission, { outcome, message, opensAtOnce }: RecordedOutcome): (string | number)[] {
    if (!admission.allowed) throw new Error(`circuit breaker ${this.name}: cannot record a call it did not admit`);
    const o = this.options;
    return [
      ...this.commonArgs(),
      outcome,
      admission.permitId ?? '',
      message,
      o.failureThreshold,
      o.successThreshold,
      o.recoveryTimeoutMs,
      o.failureRateThreshold ?? 0,
      o.minimumCalls,
      o.rateWindowMs,
      opensAtOnce ?? '',
    ];
  }

  /** The state a record or control reply says; emits the transitions the script made. */
  settleTransitions([state, transitions]: StateReply): BreakerState {
    this.emitTransitions(transitions);
    return state;
  }

  async state(): Promise<BreakerState> {
    return (await this.snapshot()).state;
  }

  snapshot(): Promise<BreakerSnapshot> {
    return readBreakerSnapshot(this.redis, this.options.keyPrefix, this.name);
  }

  /** Transitions, newest first (at most `historySize` are kept). */
  history(): Promise<BreakerTransition[]> {
    return readBreakerHistory(this.redis, this.options.keyPrefix, this.name, this.options.historySize);
  }

  /** Rejects every call, across the cluster, until `release()`; successes do not close it. */
  forceOpen(reason: string): Promise<BreakerState> {
    return this.control('force_open', reason);
  }

  /** Admits every call, across the cluster, until `release()`; failures are counted but do not open it. */
  forceClosed(reason = ''): Promise<BreakerState> {
    return this.control('force_closed', reason);
  }

  /** Ends forcing: a breaker forced open goes half-open (probes first), one forced closed resumes closed. */
  release(reason = ''): Promise<BreakerState> {
    return this.control('release', reason);
  }

  /** Closed, counters and forcing cleared; the history is kept. */
  reset(reason = ''): Promise<BreakerState> {
    return this.control('reset', reason);
  }

  private async record(admission: Admission, outcome: RecordedOutcome): Promise<BreakerState> {
    const reply = (await RECORD_SCRIPT.run(this.redis, this.scriptKeys, this.recordArgs(admission, outcome))) as StateReply;
    return this.settleTransitions(reply);
  }

  private async control(action: ControlAction, reason: string): Promise<BreakerState> {
    const reply = (await CONTROL_SCRIPT.run(this.redis, this.scriptKeys, [...this.commonArgs(), action, reason])) as StateReply;
    return this.settleTransitions(reply);
  }

  private emitTransitions(entries: string[]): void {
    for (const entry of entries) this.emit('transition', parseTransition(entry));
  }

  /** ARGV 1 and 2 of every breaker script. */
  private commonArgs(): [string, number] {
    return [this.name, this.options.historySize];
  }
}
