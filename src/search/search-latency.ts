import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type Redis from 'ioredis';
import { Counter, Registry } from 'prom-client';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { withTimeout } from '../common/with-timeout';
import { REDIS } from '../redis/redis.tokens';
import { LATENCY_BUCKETS, latencyBucket, percentileOfBuckets } from './latency-histogram';

const FLUSH_INTERVAL_MS = 1_000;
/** A second's histogram outlives the longest measuring window (MIGRATION_PACING_WINDOW_MS ≤ 60 s). */
const SLOT_TTL_S = 120;
/** Unflushed seconds older than this (Redis down for long) are dropped rather than kept. */
const MAX_PENDING_AGE_S = SLOT_TTL_S;
const SHUTDOWN_FLUSH_TIMEOUT_MS = 1_000;
const IDLE_TTL_S = 7 * 24 * 3600;
/** Each idle window moves the baseline this share of the way: one odd window barely shifts it. */
const IDLE_SMOOTHING = 0.1;
/** Fewer searches than this in a window say nothing about its p99 (p99 of 3 is the slowest one's luck). */
export const MIN_LATENCY_SAMPLES = 5;

export interface SearchP99 {
  /** Null without samples. */
  p99Ms: number | null;
  samples: number;
}

/**
 * Search latency shared by every API process through Redis. Each search adds one count to
 * this process's histogram of the current second (memory only: it never waits for Redis);
 * once a second the counts are added (HINCRBY) to `<prefix>:search:latency:<epoch second>`,
 * a hash of bucket → count living 2 minutes, so any process reads the cluster's p99 over
 * the last N seconds with one pipeline of N HGETALLs. Redis trouble loses those seconds
 * (counted in `embsvc_search_latency_flush_failures_total`), never a search.
 *
 * Also the idle baseline, `<prefix>:search:latency:idle-p99`: a slow-moving p99 of windows in
 * which no bulk backfill ran (the scheduler says when: `foldIdle`), what a budget given as a
 * ratio is a ratio of.
 */
@Injectable()
export class SearchLatency implements OnModuleDestroy {
  private readonly prefix: string;
  private pending = new Map<number, number[]>();
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  private readonly flushFailures: Counter;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) config: AppConfig,
    registry: Registry,
  ) {
    this.prefix = `${config.redis.prefix}:search:latency:`;
    this.flushFailures = new Counter({
      name: 'embsvc_search_latency_flush_failures_total',
      help: "Flushes of this process's search latencies that Redis did not take (those seconds are missing from the shared p99)",
      registers: [registry],
    });
  }

  /** Counts one search; memory only. The flush timer starts with the first search (API processes only). */
  record(ms: number): void {
    const slot = Math.floor(Date.now() / 1000);
    let counts = this.pending.get(slot);
    if (!counts) {
      counts = new Array<number>(LATENCY_BUCKETS).fill(0);
      this.pending.set(slot, counts);
    }
    counts[latencyBucket(ms)]++;
    this.timer ??= setInterval(() => void this.flush(), FLUSH_INTERVAL_MS).unref();
  }

  /** Adds the counts gathered so far to Redis; one flush at a time, never throws. */
  flush(): Promise<void> {
    if (this.flushing || this.pending.size === 0) return this.flushing ?? Promise.resolve();
    const oldest = Math.floor(Date.now() / 1000) - MAX_PENDING_AGE_S;
    const batch = [...this.pending].filter(([slot]) => slot >= oldest);
    this.pending = new Map();
    const pipeline = this.redis.pipeline();
    for (const [slot, counts] of batch) {
      const key = this.slotKey(slot);
      counts.forEach((count, bucket) => {
        if (count > 0) pipeline.hincrby(key, String(bucket), count);
      });
      pipeline.expire(key, SLOT_TTL_S);
    }
    this.flushing = pipeline
      .exec()
      .then((results) => {
        if (results?.some(([error]) => error)) this.flushFailures.inc();
      })
      .catch(() => this.flushFailures.inc())
      .finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  /** The cluster's search latency quantile (p99 by default) over the last `windowMs` (whole seconds, the current one included). */
  async clusterP99(windowMs: number, q = 0.99): Promise<SearchP99> {
    const now = Math.floor(Date.now() / 1000);
    const seconds = Math.max(1, Math.ceil(windowMs / 1000));
    const pipeline = this.redis.pipeline();
    for (let slot = now - seconds + 1; slot <= now; slot++) pipeline.hgetall(this.slotKey(slot));
    const counts = new Array<number>(LATENCY_BUCKETS).fill(0);
    for (const [error, hash] of (await pipeline.exec()) ?? []) {
      if (error) throw error;
      for (const [bucket, count] of Object.entries(hash as Record<string, string>)) {
        const index = Number(bucket);
        if (Number.isInteger(index) && index >= 0 && index < LATENCY_BUCKETS) counts[index] += Number(count) || 0;
      }
    }
    return { p99Ms: percentileOfBuckets(counts, q), samples: counts.reduce((sum, count) => sum + count, 0) };
  }

  /** The idle baseline, null until one window with enough searches was measured idle (or after a week without). */
  async idleP99(): Promise<number | null> {
    const value = Number(await this.redis.get(this.idleKey()));
    return value > 0 ? value : null;
  }

  /**
   * Folds the last window's p99 into the idle baseline; at most once per window across the
   * cluster. Call it only when the window was idle: no bulk backfill ran during it.
   */
  async foldIdle(windowMs: number): Promise<void> {
    const measured = await this.clusterP99(windowMs);
    if (measured.p99Ms === null || measured.samples < MIN_LATENCY_SAMPLES) return;
    if ((await this.redis.set(`${this.idleKey()}:folded`, '1', 'PX', windowMs, 'NX')) !== 'OK') return;
    const previous = await this.idleP99();
    const next = previous === null ? measured.p99Ms : previous + IDLE_SMOOTHING * (measured.p99Ms - previous);
    await this.redis.set(this.idleKey(), next.toFixed(3), 'EX', IDLE_TTL_S);
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await withTimeout(this.flush(), SHUTDOWN_FLUSH_TIMEOUT_MS, 'search latency flush').catch(() => undefined);
  }

  private slotKey(slot: number): string {
    return `${this.prefix}${slot}`;
  }

  private idleKey(): string {
    return `${this.prefix}idle-p99`;
  }
}
