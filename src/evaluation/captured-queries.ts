import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { readPage } from '../database/read-page';
import { SearchEvents } from '../search/search-events';
import { UNCATEGORISED } from './evaluation-scores';

export interface CapturedQuery {
  id: string;
  query: string;
  category: string | null;
  capturedAt: Date;
}

/** At most one retention sweep per process this often: the capture path stays one INSERT. */
const PURGE_EVERY_MS = 60_000;

/**
 * The `captured_queries` table: real search queries, kept only when EVALUATION_CAPTURE_QUERIES
 * is on, for EVALUATION_CAPTURE_RETENTION_DAYS. An evaluation compares a model's answers to
 * them with the active model's. Reads skip what is past retention even before a sweep removes it.
 */
@Injectable()
export class CapturedQueries implements OnModuleInit {
  private readonly logger = new Logger(CapturedQueries.name);
  private lastPurgeMs = 0;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly searches: SearchEvents,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    if (this.enabled) this.searches.on('answered', (search) => this.capture(search.query, search.category));
  }

  get enabled(): boolean {
    return this.config.evaluation.captureQueries;
  }

  /** Keeps a search's query when capture is on; never fails or delays the search (errors are logged). */
  capture(query: string, category: string | undefined): void {
    if (!this.enabled) return;
    void this.db
      .query(`INSERT INTO captured_queries (query, category) VALUES ($1, $2)`, [query, category ?? null])
      .then(() => (Date.now() - this.lastPurgeMs > PURGE_EVERY_MS ? this.purge() : 0))
      .catch((error: unknown) => this.logger.warn({ err: error }, 'could not capture a search query'));
  }

  /** Deletes what is past retention; returns how many rows went. */
  async purge(): Promise<number> {
    this.lastPurgeMs = Date.now();
    const [, deleted] = (await this.db.query(`DELETE FROM captured_queries WHERE captured_at < now() - make_interval(days => $1)`, [
      this.config.evaluation.captureRetentionDays,
    ])) as [unknown, number];
    return deleted;
  }

  async list(limit: number, offset: number): Promise<{ total: number; items: CapturedQuery[] }> {
    const days = this.config.evaluation.captureRetentionDays;
    const page = await readPage<{ id: string; query: string; category: string | null; captured_at: Date }>(
      this.db,
      {
        sql: `SELECT id::text, query, category, captured_at FROM captured_queries WHERE captured_at >= now() - make_interval(days => $3)
              ORDER BY captured_at DESC, id DESC LIMIT $1 OFFSET $2`,
        params: [limit, offset, days],
      },
      { sql: `SELECT count(*) FROM captured_queries WHERE captured_at >= now() - make_interval(days => $1)`, params: [days] },
    );
    return {
      total: page.total,
      items: page.rows.map((row) => ({ id: row.id, query: row.query, category: row.category, capturedAt: row.captured_at })),
    };
  }

  async clear(): Promise<number> {
    const [, deleted] = (await this.db.query(`DELETE FROM captured_queries`)) as [unknown, number];
    return deleted;
  }

  /** The `max` most recently captured distinct (query, category) within retention. */
  async sample(max: number): Promise<Array<{ query: string; category: string; filter: string | null }>> {
    const rows: Array<{ query: string; category: string | null }> = await this.db.query(
      `SELECT query, category FROM (
         SELECT query, category, max(captured_at) AS last FROM captured_queries
         WHERE captured_at >= now() - make_interval(days => $2)
         GROUP BY query, category
       ) distinct_queries ORDER BY last DESC LIMIT $1`,
      [max, this.config.evaluation.captureRetentionDays],
    );
    return rows.map((row) => ({ query: row.query, category: row.category ?? UNCATEGORISED, filter: row.category }));
  }
}
