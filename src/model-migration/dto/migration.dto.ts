import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { etaSecondsOf, progressOf } from '../migration-progress';
import { MIGRATION_STATES, type MigrationState } from '../migration-state';
import type { PacingState } from '../migration-pacing';
import type { ModelMigrationEntity } from '../model-migration.entity';
import { MigrationEstimateDto } from './migration-estimate.dto';
import type { EmbeddingBatch } from '../../batch-lane/embedding-batches';
import { EmbeddingBatchDto } from '../../batch-lane/dto/embedding-batch.dto';
import { NeighbourComparisonDto } from './neighbour-comparison.dto';
import { QualityGateDto, ShadowSearchesDto } from './quality-gate.dto';

export class MigrationProgressDto {
  @ApiProperty({ example: 100_000, description: 'QA pairs now' })
  total!: number;

  @ApiProperty({ example: 42_000, description: 'Pairs whose current content is embedded under the target' })
  completed!: number;

  @ApiProperty({ example: 3, description: 'Pairs dead-lettered under the target' })
  failed!: number;

  @ApiProperty({ example: 42.0, description: '(completed + failed) / total × 100' })
  percentage!: number;
}

/** Where a running migration's window stands: pacing shrinks it while search is slower than the budget. */
export class MigrationPacingDto implements PacingState {
  @ApiProperty({ description: 'MIGRATION_PACING: whether search latency sizes the window (off: always the maximum)' })
  enabled!: boolean;

  @ApiProperty({ example: 400, description: 'Pairs the last step let the queued window hold (whole batches, at least one)' })
  windowSize!: number;

  @ApiProperty({ example: 2000, description: 'batchSize × MIGRATION_WINDOW_BATCHES: what the window grows back to' })
  maxWindowSize!: number;

  @ApiProperty({
    nullable: true,
    type: Number,
    example: 42.5,
    description: 'Search p99 across every API process over MIGRATION_PACING_WINDOW_MS; null without searches',
  })
  searchP99Ms!: number | null;

  @ApiProperty({ example: 640, description: 'Searches that p99 is of' })
  searchSamples!: number;

  @ApiProperty({
    nullable: true,
    type: Number,
    example: 40,
    description: 'The p99 paced against: the lower of MIGRATION_PACING_SEARCH_P99_MS and the ratio × idle p99; null when neither applies',
  })
  budgetMs!: number | null;

  @ApiProperty({
    nullable: true,
    type: Number,
    example: 20,
    description: 'Search p99 while no migration or backlog runs (slow-moving); null until measured',
  })
  idleSearchP99Ms!: number | null;

  @ApiProperty({ description: 'When the last step measured' })
  measuredAt!: string;
}

/** What the SSE stream sends on every change. */
export class MigrationEventDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ enum: MIGRATION_STATES })
  state!: MigrationState;

  @ApiProperty({ type: MigrationProgressDto })
  progress!: MigrationProgressDto;

  @ApiProperty({ nullable: true, type: Number, description: 'Measured rate, smoothed' })
  pairsPerSecond!: number | null;

  @ApiProperty({ nullable: true, type: Number, description: 'Seconds left at the measured rate; null while paused or unknown' })
  etaSeconds!: number | null;

  @ApiProperty()
  updatedAt!: Date;

  @ApiProperty({ enum: ['live', 'batch'] })
  lane!: 'live' | 'batch';

  @ApiProperty({ type: [EmbeddingBatchDto], description: 'On the batch lane: its batches, oldest first (empty on the live lane)' })
  batches!: EmbeddingBatchDto[];

  static from(migration: ModelMigrationEntity, batches: readonly EmbeddingBatch[] = []): MigrationEventDto {
    return {
      id: migration.id,
      state: migration.state,
      lane: migration.lane,
      batches: batches.map((batch) => EmbeddingBatchDto.from(batch)),
      progress: progressOf(migration),
      pairsPerSecond: migration.pairsPerSecond === null ? null : Math.round(migration.pairsPerSecond * 100) / 100,
      etaSeconds: etaSecondsOf(migration),
      updatedAt: migration.updatedAt,
    };
  }
}

export class MigrationDto extends MigrationEventDto {
  @ApiProperty({ example: 'text-embedding-3-small' })
  fromModel!: string;

  @ApiProperty({ example: 'text-embedding-3-large' })
  toModel!: string;

  @ApiProperty({ example: 100 })
  batchSize!: number;

  @ApiProperty()
  autoCutover!: boolean;

  @ApiProperty({ example: 0.05 })
  maxFailureShare!: number;

  @ApiProperty({ example: 1, description: 'Passes over the pairs (a later pass picks up work a Redis wipe lost)' })
  pass!: number;

  @ApiProperty({ type: MigrationEstimateDto, description: 'The estimate made when it started' })
  estimate!: MigrationEstimateDto;

  @ApiProperty({ type: NeighbourComparisonDto, nullable: true, description: 'Old vs new top-10 neighbour overlap, computed when filled' })
  comparison!: NeighbourComparisonDto | null;

  @ApiProperty({ nullable: true, type: String, description: 'Why it failed or was cancelled' })
  reason!: string | null;

  @ApiProperty({ type: QualityGateDto, description: 'The retrieval-quality gate: its settings, and its verdict once the target is filled' })
  gate!: QualityGateDto;

  @ApiProperty({ nullable: true, type: String, description: "An admin's recorded reason for the cutover" })
  cutoverReason!: string | null;

  @ApiProperty({ type: ShadowSearchesDto, description: 'Live searches shadowed on the target (SEARCH_SHADOW_SHARE)' })
  shadow!: ShadowSearchesDto;

  @ApiProperty()
  createdAt!: Date;

  @ApiPropertyOptional({ nullable: true, type: Date })
  filledAt!: Date | null;

  @ApiPropertyOptional({ nullable: true, type: Date })
  cutOverAt!: Date | null;

  @ApiPropertyOptional({ nullable: true, type: Date })
  rolledBackAt!: Date | null;

  @ApiPropertyOptional({ nullable: true, type: Date, description: 'When it was cancelled or failed' })
  endedAt!: Date | null;

  @ApiPropertyOptional({ nullable: true, type: Date })
  cleanupRequestedAt!: Date | null;

  @ApiPropertyOptional({ nullable: true, type: Date, description: "When the losing model's vectors were all deleted" })
  cleanedAt!: Date | null;

  @ApiProperty({ type: MigrationPacingDto, nullable: true, description: 'The window as the last step sized it; null unless running or paused' })
  pacing!: MigrationPacingDto | null;

  static fromRecord(
    migration: ModelMigrationEntity,
    modelNames: ReadonlyMap<number, string>,
    pacing?: PacingState,
    shadow: ShadowSearchesDto = { searches: 0, meanOverlap: null, meanRankBiasedOverlap: null },
    batches: readonly EmbeddingBatch[] = [],
  ): MigrationDto {
    return {
      ...MigrationEventDto.from(migration, batches),
      fromModel: modelNames.get(migration.fromModelId) ?? String(migration.fromModelId),
      toModel: modelNames.get(migration.toModelId) ?? String(migration.toModelId),
      batchSize: migration.batchSize,
      autoCutover: migration.autoCutover,
      maxFailureShare: Number(migration.maxFailureShare),
      pass: migration.pass,
      estimate: migration.estimate,
      comparison: migration.comparison,
      reason: migration.reason,
      gate: gateOf(migration),
      cutoverReason: migration.cutoverReason,
      shadow,
      createdAt: migration.createdAt,
      filledAt: migration.filledAt,
      cutOverAt: migration.cutOverAt,
      rolledBackAt: migration.rolledBackAt,
      endedAt: migration.endedAt,
      cleanupRequestedAt: migration.cleanupRequestedAt,
      cleanedAt: migration.cleanedAt,
      pacing: pacing && (migration.state === 'running' || migration.state === 'paused') ? pacing : null,
    };
  }
}

function gateOf(migration: ModelMigrationEntity): QualityGateDto {
  const verdict = migration.gate;
  return {
    metric: migration.gateMetric,
    margin: Number(migration.gateMargin),
    verdict: verdict?.verdict ?? null,
    source: verdict?.source ?? null,
    target: verdict?.target ?? null,
    difference: verdict?.difference ?? null,
    message: verdict?.message ?? null,
    judgedAt: verdict?.judgedAt ?? null,
  };
}

export class MigrationPageDto {
  @ApiProperty()
  total!: number;

  @ApiProperty()
  limit!: number;

  @ApiProperty()
  offset!: number;

  @ApiProperty({ type: [MigrationDto] })
  items!: MigrationDto[];
}

export class PairToMigrateDto {
  @ApiProperty({ format: 'uuid' })
  qaPairId!: string;

  @ApiProperty()
  contentHash!: string;

  @ApiProperty({ description: 'Its current content is embedded under the source model (still on the old model)' })
  onSource!: boolean;

  @ApiProperty({ description: 'It has a target embedding of an older version of its content' })
  staleTarget!: boolean;
}

export class PairsToMigratePageDto {
  @ApiProperty({ type: [PairToMigrateDto] })
  items!: PairToMigrateDto[];

  @ApiProperty({ nullable: true, type: String, description: 'Pass as `after` for the next page; null at the end' })
  next!: string | null;
}
