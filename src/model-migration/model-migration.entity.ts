import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { MigrationState } from './migration-state';
import type { GateMetric } from '../evaluation/evaluation-scores';
import type { GateVerdict, MigrationEstimate, NeighbourComparison } from './migration-types';

/** A migration of every embedding from one model to another; the truth about its progress. */
@Entity('model_migrations')
export class ModelMigrationEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column('integer', { name: 'from_model_id' })
  fromModelId!: number;

  @Column('integer', { name: 'to_model_id' })
  toModelId!: number;

  @Column('text')
  state!: MigrationState;

  /** Pairs enqueued per step; the queued window is a multiple of it. */
  @Column('integer', { name: 'batch_size' })
  batchSize!: number;

  /** live: the queue and the live API; batch: OpenAI's Batch API at the batch price. */
  @Column('text')
  lane!: 'live' | 'batch';

  @Column('boolean', { name: 'auto_cutover' })
  autoCutover!: boolean;

  @Column('numeric', { name: 'max_failure_share' })
  maxFailureShare!: string;

  /** The last pair id enqueued in the current pass (pairs are fed in id order). */
  @Column('uuid', { nullable: true })
  cursor!: string | null;

  /** Passes over the pairs: a later pass picks up what an earlier one lost (a Redis wipe, a missed dual-write). */
  @Column('integer')
  pass!: number;

  @Column('integer')
  total!: number;

  @Column('integer')
  completed!: number;

  @Column('integer')
  failed!: number;

  /** Time spent running (pauses excluded), for the achieved rate. */
  @Column('bigint', { name: 'running_ms', transformer: { from: (value: string) => Number(value), to: (value: number) => value } })
  runningMs!: number;

  /** Smoothed measured rate of completed pairs. */
  @Column('double precision', { name: 'pairs_per_second', nullable: true })
  pairsPerSecond!: number | null;

  @Column('jsonb')
  estimate!: MigrationEstimate;

  @Column('jsonb', { nullable: true })
  comparison!: NeighbourComparison | null;

  /** The quality gate's metric and the most the target may fall below the source on it. */
  @Column('text', { name: 'gate_metric' })
  gateMetric!: GateMetric;

  @Column('numeric', { name: 'gate_margin' })
  gateMargin!: string;

  /** The gate's verdict once the target was filled; null before. */
  @Column('jsonb', { nullable: true })
  gate!: GateVerdict | null;

  /** Why an admin cut over (required when the gate held the migration). */
  @Column('text', { name: 'cutover_reason', nullable: true })
  cutoverReason!: string | null;

  /** Why it failed or was cancelled. */
  @Column('text', { nullable: true })
  reason!: string | null;

  @Column('timestamptz', { name: 'created_at' })
  createdAt!: Date;

  @Column('timestamptz', { name: 'updated_at' })
  updatedAt!: Date;

  @Column('timestamptz', { name: 'progress_at', nullable: true })
  progressAt!: Date | null;

  @Column('timestamptz', { name: 'filled_at', nullable: true })
  filledAt!: Date | null;

  @Column('timestamptz', { name: 'cut_over_at', nullable: true })
  cutOverAt!: Date | null;

  @Column('timestamptz', { name: 'rolled_back_at', nullable: true })
  rolledBackAt!: Date | null;

  /** When it was cancelled or failed. */
  @Column('timestamptz', { name: 'ended_at', nullable: true })
  endedAt!: Date | null;

  @Column('timestamptz', { name: 'cleanup_requested_at', nullable: true })
  cleanupRequestedAt!: Date | null;

  @Column('timestamptz', { name: 'cleaned_at', nullable: true })
  cleanedAt!: Date | null;
}
