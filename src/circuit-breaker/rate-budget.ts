import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { LuaScript } from './lua-script';
import { type HeaderSource, readRateLimitHeaders } from './rate-limit-headers';
import { RATE_LEARN_LUA } from './scripts/rate-learn.lua';
import { RATE_RESERVE_LUA } from './scripts/rate-reserve.lua';
import { RATE_SETTLE_LUA } from './scripts/rate-settle.lua';

const RESERVE_SCRIPT = new LuaScript(RATE_RESERVE_LUA);
const SETTLE_SCRIPT = new LuaScript(RATE_SETTLE_LUA);
const LEARN_SCRIPT = new LuaScript(RATE_LEARN_LUA);

/** Unchanged learned limits are rewritten this often, so a Redis that lost them relearns them. */
const LEARNED_REFRESH_MS = 10_000;

/** The longest block by default: a Retry-After of a day must not stop the cluster for a day. */
export const DEFAULT_MAX_BLOCK_MS = 300_000;

/** What a provider's answer teaches the budget: limits to store ('' = unchanged) and a block (0 = none), before the cap. */
export interface BudgetLesson {
  learnedRpm: number | '';
  learnedTpm: number | '';
  blockMs: number;
}

export interface RateBudgetOptions {
  /** One name per provider account (its limits are per account), shared by every process. */
  name: string;
  /** Prepended to every key, e.g. `emb:`. */
  keyPrefix: string;
  /** Requests per window; unlimited when unset (unless the provider's headers set one). */
  rpm?: number;
  /** Tokens per window; unlimited when unset (unless the provider's headers set one). */
  tpm?: number;
  windowMs?: number;
  /**
   * The longest block a Retry-After or a used-up provider window may impose (default 5 min):
   * after it, calls go through again and the provider's answer says whether to wait more.
   */
  maxBlockMs?: number;
}

export type Reservation = { granted: true; reservationId: string } | { granted: false; waitMs: number };

export interface RateLimits {
  /** The lower of the configured and the learned limit; null = unlimited. */
  rpm: number | null;
  tpm: number | null;
  /** End of the latest block, epoch ms on the Redis clock (in the past once it has ended); null if never blocked. */
  blockedUntil: number | null;
}

/**
 * Requests-per-minute and tokens-per-minute budget shared by every worker of every process:
 * a sliding-window log in Redis, checked and updated by one Lua script per reservation.
 */
export class RateBudget {
  readonly name: string;
  readonly windowMs: number;
  readonly maxBlockMs: number;
  private readonly keys: { log: string; tokens: string; limits: string };
  /** The learned limits this instance wrote last: every response carries them, most often unchanged. */
  private lastLearned?: { values: string; at: number };

  constructor(
    private readonly redis: Redis,
    private readonly options: RateBudgetOptions,
  ) {
    if (!options.name) throw new RangeError('rate budget: name is required');
    for (const key of ['rpm', 'tpm'] as const) {
      const value = options[key];
      if (value !== undefined && !(Number.isInteger(value) && value > 0)) {
        throw new RangeError(`rate budget ${options.name}: ${key} must be a whole number ≥ 1, got ${value}`);
      }
    }
    this.windowMs = options.windowMs ?? 60_000;
    if (!(Number.isFinite(this.windowMs) && this.windowMs > 0)) {
      throw new RangeError(`rate budget ${options.name}: windowMs must be a positive number, got ${this.windowMs}`);
    }
    this.maxBlockMs = options.maxBlockMs ?? DEFAULT_MAX_BLOCK_MS;
    if (!(Number.isFinite(this.maxBlockMs) && this.maxBlockMs > 0)) {
      throw new RangeError(`rate budget ${options.name}: maxBlockMs must be a positive number, got ${this.maxBlockMs}`);
    }
    this.name = options.name;
    const base = `${options.keyPrefix}rate:${options.name}`;
    this.keys = { log: `${base}:log`, tokens: `${base}:tokens`, limits: `${base}:limits` };
  }

  /** Takes one request and `tokens` (an estimate is fine: `settle` corrects it) from the budget, or says how long to wait. */
  async reserve(tokens: number): Promise<Reservation> {
    const reservationId = randomUUID();
    const [granted, waitMs] = (await RESERVE_SCRIPT.run(this.redis, this.scriptKeys, this.reserveArgs(reservationId, tokens))) as [number, number];
    return granted === 1 ? { granted: true, reservationId } : { granted: false, waitMs };
  }

  /** ARGV of the reserve script (the guard's admit script takes them after the breaker's). */
  reserveArgs(reservationId: string, tokens: number): (string | number)[] {
    requireTokenCount(tokens);
    return [reservationId, tokens, this.options.rpm ?? 0, this.options.tpm ?? 0, this.windowMs, this.maxBlockMs];
  }

  /**
   * Call when the provider answered: the reservation's estimate becomes the usage it reported
   * (0 for a refused request), and the reservation counts from now rather than from its grant,
   * so the window never empties before the provider's. Returns false if it had already left the window.
   */
  async settle(reservationId: string, actualTokens: number): Promise<boolean> {
    requireTokenCount(actualTokens);
    return (await SETTLE_SCRIPT.run(this.redis, this.scriptKeys, [reservationId, actualTokens, this.windowMs])) === 1;
  }

  /**
   * Refuses every reservation, in every process, for `ms` (e.g. a 429's Retry-After), but
   * never longer than `maxBlockMs`. Returns the end (epoch ms, Redis clock).
   */
  async blockFor(ms: number): Promise<number> {
    return Number(await LEARN_SCRIPT.run(this.redis, this.scriptKeys, this.lessonArgs({ learnedRpm: '', learnedTpm: '', blockMs: ms })));
  }

  /** Ends the current block at once (the admin reset); true if there was one. */
  async clearBlock(): Promise<boolean> {
    return (await this.redis.hdel(this.keys.limits, 'blockedUntil')) === 1;
  }

  /**
   * Adopts the provider's `x-ratelimit-limit-*` (only ever below the configured limits), and
   * blocks until the reset (capped) when `x-ratelimit-remaining-*` says the budget is used up.
   */
  async learnFromHeaders(headers: HeaderSource): Promise<void> {
    const lesson = this.lessonOf(headers);
    if (lesson.learnedRpm === '' && lesson.learnedTpm === '' && lesson.blockMs === 0) return;
    await LEARN_SCRIPT.run(this.redis, this.scriptKeys, this.lessonArgs(lesson));
  }

  /** What the headers of an answer teach: learned limits when they changed (or are due a refresh), the block a used-up window asks for. */
  lessonOf(headers: HeaderSource | undefined, blockMs = 0): BudgetLesson {
    const seen = headers ? readRateLimitHeaders(headers) : {};
    const learned = `${seen.limitRequests ?? ''},${seen.limitTokens ?? ''}`;
    const changed = learned !== ',' && this.learnedChanged(learned);
    const exhaustedForMs = Math.max(
      seen.remainingRequests === 0 ? (seen.resetRequestsMs ?? 0) : 0,
      seen.remainingTokens === 0 ? (seen.resetTokensMs ?? 0) : 0,
    );
    return {
      learnedRpm: changed && seen.limitRequests ? seen.limitRequests : '',
      learnedTpm: changed && seen.limitTokens ? seen.limitTokens : '',
      blockMs: Math.max(blockMs, exhaustedForMs),
    };
  }

  /** ARGV of the learn script, and the tail of the guard's finish script. */
  lessonArgs({ learnedRpm, learnedTpm, blockMs }: BudgetLesson): (string | number)[] {
    if (!(Number.isFinite(blockMs) && blockMs >= 0)) throw new RangeError(`rate budget ${this.name}: block of ${blockMs} ms`);
    return [learnedRpm, learnedTpm, Math.ceil(blockMs), this.maxBlockMs];
  }

  async limits(): Promise<RateLimits> {
    const [learnedRpm, learnedTpm, blockedUntil] = await this.redis.hmget(this.keys.limits, 'learnedRpm', 'learnedTpm', 'blockedUntil');
    return {
      rpm: lowerLimit(this.options.rpm, learnedRpm),
      tpm: lowerLimit(this.options.tpm, learnedTpm),
      blockedUntil: blockedUntil ? Number(blockedUntil) : null,
    };
  }

  /**
   * Reserves, sleeping as long as the budget asks, until granted; gives up (returning the
   * refusal) when the next wait would end after `maxWaitMs`. Rejects when `signal` aborts.
   */
  async waitForTurn(tokens: number, options: { maxWaitMs?: number; signal?: AbortSignal } = {}): Promise<Reservation> {
    const deadline = performance.now() + (options.maxWaitMs ?? Number.POSITIVE_INFINITY);
    for (;;) {
      options.signal?.throwIfAborted();
      const reservation = await this.reserve(tokens);
      if (reservation.granted || performance.now() + reservation.waitMs > deadline) return reservation;
      await sleep(reservation.waitMs, undefined, { signal: options.signal });
    }
  }

  private learnedChanged(values: string): boolean {
    const now = performance.now();
    if (this.lastLearned?.values === values && now - this.lastLearned.at < LEARNED_REFRESH_MS) return false;
    this.lastLearned = { values, at: now };
    return true;
  }

  /** The KEYS of every budget script (the guard's combined scripts take them after the breaker's). */
  get scriptKeys(): string[] {
    return [this.keys.log, this.keys.tokens, this.keys.limits];
  }
}

function requireTokenCount(tokens: number): void {
  if (!Number.isInteger(tokens) || tokens < 0) throw new RangeError(`rate budget: token count must be a whole number ≥ 0, got ${tokens}`);
}

/** Mirrors `effective()` in the reserve script. */
function lowerLimit(configured: number | undefined, learned: string | null): number | null {
  const fromProvider = learned ? Number(learned) : undefined;
  if (configured !== undefined && fromProvider !== undefined) return Math.min(configured, fromProvider);
  return configured ?? fromProvider ?? null;
}
