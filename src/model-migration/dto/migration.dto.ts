import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { etaSecondsOf, progressOf } from '../migration-progress';
import { MIGRATION_STATES, type MigrationState } from '../migration-state';
import type { ModelMigrationEntity } from '../model-migration.entity';
import { MigrationEstimateDto } from './migration-estimate.dto';
import { NeighbourComparisonDto } from './neighbour-comparison.dto';

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

  static from(migration: ModelMigrationEntity): MigrationEventDto {
    return {
      id: migration.id,
      state: migration.state,
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

  static fromRecord(migration: ModelMigrationEntity, modelNames: ReadonlyMap<number, string>): MigrationDto {
    return {
      ...MigrationEventDto.from(migration),
      fromModel: modelNames.get(migration.fromModelId) ?? String(migration.fromModelId),
      toModel: modelNames.get(migration.toModelId) ?? String(migration.toModelId),
      batchSize: migration.batchSize,
      autoCutover: migration.autoCutover,
      maxFailureShare: Number(migration.maxFailureShare),
      pass: migration.pass,
      estimate: migration.estimate,
      comparison: migration.comparison,
      reason: migration.reason,
      createdAt: migration.createdAt,
      filledAt: migration.filledAt,
      cutOverAt: migration.cutOverAt,
      rolledBackAt: migration.rolledBackAt,
      endedAt: migration.endedAt,
      cleanupRequestedAt: migration.cleanupRequestedAt,
      cleanedAt: migration.cleanedAt,
    };
  }
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
