import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { DeadLetterKind } from '../../embeddings/dead-letter.entity';

export interface DeadLetterRecord {
  qaPairId: string;
  modelId: number;
  contentHash: string;
  purpose: string;
  errorKind: DeadLetterKind;
  error: string;
  attempts: number;
  jobId?: string;
  firstFailedAt?: Date;
}

/** Writes a dead letter when a job gives up (the worker's side; the API side is DeadLettersService). */
@Injectable()
export class DeadLetterRecorder {
  private readonly logger = new Logger(DeadLetterRecorder.name);

  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** One row per (pair, model): a later failure of the same work updates it. */
  async record(letter: DeadLetterRecord): Promise<void> {
    const failedAt = new Date();
    await this.db.query(
      `INSERT INTO dead_letters (qa_pair_id, model_id, content_hash, purpose, error_kind, last_error, attempts, job_id,
                                 first_failed_at, last_failed_at)
       SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 WHERE EXISTS (SELECT 1 FROM qa_pairs WHERE id = $1)
       ON CONFLICT (qa_pair_id, model_id) DO UPDATE SET
         first_failed_at = CASE WHEN dead_letters.content_hash = EXCLUDED.content_hash AND dead_letters.discarded_at IS NULL
                                THEN dead_letters.first_failed_at ELSE EXCLUDED.first_failed_at END,
         content_hash = EXCLUDED.content_hash, purpose = EXCLUDED.purpose, error_kind = EXCLUDED.error_kind,
         last_error = EXCLUDED.last_error, attempts = EXCLUDED.attempts, job_id = EXCLUDED.job_id,
         last_failed_at = EXCLUDED.last_failed_at, discarded_at = NULL`,
      [letter.qaPairId, letter.modelId, letter.contentHash, letter.purpose, letter.errorKind, letter.error.slice(0, 4000),
        letter.attempts, letter.jobId ?? null, letter.firstFailedAt ?? failedAt, failedAt],
    );
    this.logger.warn(
      { qaPairId: letter.qaPairId, modelId: letter.modelId, kind: letter.errorKind, attempts: letter.attempts, error: letter.error },
      'embedding job dead-lettered',
    );
  }
}
