import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsNotEmpty, IsNumber, IsOptional, IsString, IsUUID, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { GATE_METRICS, type GateMetric } from '../../evaluation/evaluation-scores';
import { PageQueryDto } from '../../common/page.dto';
import { MIGRATION_STATES, type MigrationState } from '../migration-state';

export const DEFAULT_BATCH_SIZE = 100;
export const MAX_BATCH_SIZE = 2048;

export class MigrationModelsDto {
  @ApiProperty({ example: 'text-embedding-3-small', description: 'The model search answers from now (the active one)' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  fromModel!: string;

  @ApiProperty({ example: 'text-embedding-3-large', description: 'The model to fill and switch search to' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  toModel!: string;
}

export class GateSettingsDto {
  @ApiPropertyOptional({ enum: GATE_METRICS, description: 'Default MIGRATION_GATE_METRIC (recall@10)' })
  @IsOptional()
  @IsIn(GATE_METRICS)
  metric?: GateMetric;

  @ApiPropertyOptional({
    minimum: 0,
    maximum: 1,
    description: 'The most the target may fall below the source on `metric` (default MIGRATION_GATE_MARGIN, 0.01)',
  })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  margin?: number;
}

export class StartMigrationDto extends MigrationModelsDto {
  @ApiPropertyOptional({
    minimum: 1,
    maximum: MAX_BATCH_SIZE,
    default: DEFAULT_BATCH_SIZE,
    description: 'Pairs enqueued per step; MIGRATION_WINDOW_BATCHES batches are queued ahead at most',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_BATCH_SIZE)
  batchSize?: number;

  @ApiPropertyOptional({ default: true, description: 'Switch search to the new model as soon as every pair is embedded' })
  @IsOptional()
  @IsBoolean()
  autoCutover?: boolean;

  @ApiPropertyOptional({
    minimum: 0,
    maximum: 1,
    example: 0.05,
    description: 'Share of failed pairs above which the migration stops and reverts (default MIGRATION_MAX_FAILURE_SHARE)',
  })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  maxFailureShare?: number;

  @ApiPropertyOptional({
    type: GateSettingsDto,
    description:
      'The quality gate: before an automatic cutover the target may not be worse than the source by more than `margin` on `metric` (labelled queries)',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => GateSettingsDto)
  gate?: GateSettingsDto;

  @ApiPropertyOptional({
    enum: ['live', 'batch'],
    default: 'live',
    description:
      "batch: the backfill goes through OpenAI's Batch API at the batch price (half the live one unless set), within its 24 h window, " +
      'leaving the live rate limit to live traffic; creates and edits meanwhile stay live',
  })
  @IsOptional()
  @IsIn(['live', 'batch'])
  lane?: 'live' | 'batch';
}

export class CompareRequestDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 1000, description: 'Pairs to sample (default MIGRATION_COMPARISON_SAMPLE)' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1000)
  sampleSize?: number;
}

export class ListMigrationsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: MIGRATION_STATES })
  @IsOptional()
  @IsIn(MIGRATION_STATES)
  state?: MigrationState;
}

export class PairsToMigrateQueryDto {
  @ApiProperty({ example: 'text-embedding-3-small' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  fromModel!: string;

  @ApiProperty({ example: 'text-embedding-3-large' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  toModel!: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Continue after this pair id (the last one of the previous page)' })
  @IsOptional()
  @IsUUID()
  after?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit: number = 100;
}
