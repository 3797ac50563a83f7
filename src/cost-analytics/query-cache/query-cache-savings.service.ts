import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

const FLUSH_EVERY_MS = 5_000;

export interface QueryCacheSavings {
  hits: number;
  tokens: number;
  costUsd: string;
}

/**
 * What search's query-embedding cache saved: counts what cache hits saved (the query tokens not bought) and writes the sums to
 * `search_cache_savings` every few seconds and at shutdown, priced at the price in force
 * then: one write per model per flush, not one per search. A crash loses at most the last
 * few seconds of these statistics, never spend.
 */
@Injectable()
export class QueryCacheSavingsService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(QueryCacheSavingsService.name);
  private pending = new Map<number, { hits: number; tokens: number }>();
  private timer?: NodeJS.Timeout;

  constructor(@InjectDataSource() private readonly db: DataSource) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), FLUSH_EVERY_MS).unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  record(modelId: number, tokens: number): void {
    const entry = this.pending.get(modelId) ?? { hits: 0, tokens: 0 };
    entry.hits += 1;
    entry.tokens += tokens;
    this.pending.set(modelId, entry);
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    try {
      await this.db.query(
        `INSERT INTO search_cache_savings AS s (day, model_id, hits, tokens, cost_usd)
         SELECT (now() AT TIME ZONE 'UTC')::date, b.model_id, b.hits, b.tokens,
                b.tokens * COALESCE(
                  (SELECT p.price_per_million_tokens FROM model_prices p
                   WHERE p.model_id = b.model_id AND p.effective_from <= now()
                   ORDER BY p.effective_from DESC LIMIT 1),
                  m.price_per_million_tokens) / 1000000
         FROM unnest($1::int[], $2::bigint[], $3::bigint[]) AS b(model_id, hits, tokens)
         JOIN embedding_models m ON m.id = b.model_id
         ON CONFLICT (day, model_id) DO UPDATE
           SET hits = s.hits + EXCLUDED.hits, tokens = s.tokens + EXCLUDED.tokens, cost_usd = s.cost_usd + EXCLUDED.cost_usd`,
        [[...batch.keys()], [...batch.values()].map((v) => v.hits), [...batch.values()].map((v) => v.tokens)],
      );
    } catch (error) {
      // Put them back: the next flush tries again.
      for (const [modelId, { hits, tokens }] of batch) {
        const entry = this.pending.get(modelId) ?? { hits: 0, tokens: 0 };
        this.pending.set(modelId, { hits: entry.hits + hits, tokens: entry.tokens + tokens });
      }
      this.logger.warn({ err: error }, 'could not write query cache savings; will retry');
    }
  }

  /** Savings over whole UTC days [from, to] (YYYY-MM-DD), all models. */
  async between(from: string, to: string): Promise<QueryCacheSavings> {
    const [row]: Array<{ hits: string; tokens: string; cost_usd: string }> = await this.db.query(
      `SELECT COALESCE(sum(hits), 0) AS hits, COALESCE(sum(tokens), 0) AS tokens, COALESCE(sum(cost_usd), 0)::text AS cost_usd
       FROM search_cache_savings WHERE day BETWEEN $1::date AND $2::date`,
      [from, to],
    );
    return { hits: Number(row.hits), tokens: Number(row.tokens), costUsd: row.cost_usd };
  }
}
