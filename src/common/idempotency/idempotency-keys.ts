import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { conflict, unavailable } from '../errors';
import type { IdempotentRequest } from './idempotent-request';

export interface StoredAnswer<T> {
  statusCode: number;
  body: T;
}

/** Expired keys are deleted by the API process at most this often, in small batches. */
const CLEANUP_EVERY_MS = 60_000;
const CLEANUP_BATCH = 1_000;

/**
 * Idempotency keys in PostgreSQL, written inside the caller's transaction with the rows it
 * creates: after a commit the key and its answer exist, after a rollback neither does, so
 * a client may retry any failure with the same key.
 *
 * Two requests with the same key at once: the second one's INSERT waits on the first's
 * uncommitted row (the primary key), then replays the first's answer, or, if the first
 * rolled back, goes on as the first.
 */
@Injectable()
export class IdempotencyKeys {
  private readonly logger = new Logger(IdempotencyKeys.name);
  private nextCleanupAt = 0;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Takes the key for this transaction. Returns the stored answer when the same request was
   * already answered (the caller replays it); throws a conflict when the key was used for
   * another request; returns undefined when the caller should go on and `complete` it.
   */
  async claim<T>(tx: EntityManager, request: IdempotentRequest): Promise<StoredAnswer<T> | undefined> {
    const retentionMs = this.config.http.idempotencyKeyRetentionMs;
    await tx.query(
      `DELETE FROM idempotency_keys
       WHERE client_hash = $1 AND key = $2 AND created_at < now() - $3 * interval '1 millisecond'`,
      [request.clientHash, request.key, retentionMs],
    );
    const claimed = await tx.query(
      `INSERT INTO idempotency_keys (client_hash, key, request_hash) VALUES ($1, $2, $3)
       ON CONFLICT (client_hash, key) DO NOTHING RETURNING key`,
      [request.clientHash, request.key, request.requestHash],
    );
    if (claimed.length > 0) return undefined;
    const [earlier]: Array<{ request_hash: string; status_code: number; response: T }> = await tx.query(
      `SELECT request_hash, status_code, response FROM idempotency_keys WHERE client_hash = $1 AND key = $2`,
      [request.clientHash, request.key],
    );
    // Deleted between the two statements (expired meanwhile): a retry claims it afresh.
    if (!earlier) throw unavailable(`Idempotency-Key ${request.key} changed while being read; retry`, 100);
    if (earlier.request_hash !== request.requestHash) {
      throw conflict(`Idempotency-Key ${request.key} was already used for a different request; use a new key for new content`, {
        idempotencyKey: request.key,
      });
    }
    return { statusCode: earlier.status_code, body: earlier.response };
  }

  /** Records the answer of a claimed key, in the same transaction. */
  async complete<T>(tx: EntityManager, request: IdempotentRequest, answer: StoredAnswer<T>): Promise<void> {
    await tx.query(`UPDATE idempotency_keys SET status_code = $3, response = $4 WHERE client_hash = $1 AND key = $2`, [
      request.clientHash,
      request.key,
      answer.statusCode,
      JSON.stringify(answer.body),
    ]);
  }

  /**
   * After the commit: updates a stored answer with what was learnt since (jobs Redis did not
   * take). Best effort; if it fails a replay shows the answer as of the commit.
   */
  async amend<T>(request: IdempotentRequest, body: T): Promise<void> {
    try {
      await this.db.query(`UPDATE idempotency_keys SET response = $3 WHERE client_hash = $1 AND key = $2`, [
        request.clientHash,
        request.key,
        JSON.stringify(body),
      ]);
    } catch (error) {
      this.logger.warn({ err: error }, 'could not amend a stored idempotent answer');
    }
  }

  /** Deletes a batch of expired keys, at most once a minute per process; never fails the caller. */
  async cleanupSoon(): Promise<void> {
    if (Date.now() < this.nextCleanupAt) return;
    this.nextCleanupAt = Date.now() + CLEANUP_EVERY_MS;
    try {
      await this.db.query(
        `DELETE FROM idempotency_keys WHERE ctid = ANY(ARRAY(
           SELECT ctid FROM idempotency_keys WHERE created_at < now() - $1 * interval '1 millisecond' LIMIT $2))`,
        [this.config.http.idempotencyKeyRetentionMs, CLEANUP_BATCH],
      );
    } catch (error) {
      this.logger.warn({ err: error }, 'could not delete expired idempotency keys');
    }
  }
}
