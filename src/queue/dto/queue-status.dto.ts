import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class JobCountsDto {
  @ApiProperty() waiting!: number;
  @ApiProperty() active!: number;
  @ApiProperty() delayed!: number;
  @ApiProperty() failed!: number;
  @ApiProperty() paused!: number;
}

export class ModelCoverageDto {
  @ApiProperty({ example: 'text-embedding-3-small' }) model!: string;
  @ApiProperty() active!: boolean;
  @ApiProperty({ description: 'QA pairs in total' }) total!: number;
  @ApiProperty({ description: 'Pairs whose current content is embedded under this model' }) embedded!: number;
}

export class QueueStatsDto {
  @ApiProperty({ type: JobCountsDto }) jobs!: JobCountsDto;
  @ApiProperty({ description: 'Dead letters not discarded' }) deadLetters!: number;
  @ApiProperty({ description: 'Pairs embedded in the last 60 s, all processes' }) embeddedLastMinute!: number;
  @ApiProperty({ description: 'Pairs embedded per second over the last 5 minutes' }) embeddedPerSecond5m!: number;
  @ApiProperty({ type: [ModelCoverageDto] }) models!: ModelCoverageDto[];
  @ApiProperty({ description: 'When deadLetters and models were counted (reused for up to 5 s; job counts are live)' })
  coverageAsOf!: string;
}

export class JobStatusDto {
  @ApiProperty({ example: '5b0e…:text-embedding-3-small:9f86d081884c7d65' }) id!: string;
  @ApiProperty({
    enum: ['waiting', 'active', 'delayed', 'paused', 'failed', 'completed', 'dead_lettered', 'superseded', 'unknown'],
    description: 'Bull state while the job exists; afterwards what Postgres says became of its work',
  })
  state!: string;
  @ApiPropertyOptional({ format: 'uuid' }) qaPairId?: string;
  @ApiPropertyOptional() model?: string;
  @ApiPropertyOptional({ description: 'Our priority, 1–100, higher first' }) priority?: number;
  @ApiPropertyOptional() attempts?: number;
  @ApiPropertyOptional() maxAttempts?: number;
  @ApiPropertyOptional() failedReason?: string;
}

export class ReconcileResultDto {
  @ApiProperty({ description: 'Pending pairs found and enqueued (already-queued ones are a no-op)' }) pending!: number;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'number' } }) byModel!: Record<string, number>;
  @ApiProperty({ type: [String], description: 'Models skipped: a hard-capped budget holds their background work until its period ends' })
  heldByBudget!: string[];
}
