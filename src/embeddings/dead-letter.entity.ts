import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A QA pair's embedding work that gave up: durable in Postgres, replayable. */
@Entity('dead_letters')
export class DeadLetterEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'qa_pair_id' })
  qaPairId!: string;

  @Column('integer', { name: 'model_id' })
  modelId!: number;

  @Column('text', { name: 'content_hash' })
  contentHash!: string;

  @Column('text')
  purpose!: string;

  /** permanent (refused by the provider), exhausted (retries used up) or stalled (worker lost twice). */
  @Column('text', { name: 'error_kind' })
  errorKind!: DeadLetterKind;

  @Column('text', { name: 'last_error' })
  lastError!: string;

  @Column('integer')
  attempts!: number;

  @Column('text', { name: 'job_id', nullable: true })
  jobId!: string | null;

  @Column('timestamptz', { name: 'first_failed_at' })
  firstFailedAt!: Date;

  @Column('timestamptz', { name: 'last_failed_at' })
  lastFailedAt!: Date;

  /** Set when an operator discarded it: hidden from the list, and not retried by the reconciler. */
  @Column('timestamptz', { name: 'discarded_at', nullable: true })
  discardedAt!: Date | null;
}

export type DeadLetterKind = 'permanent' | 'exhausted' | 'stalled';
