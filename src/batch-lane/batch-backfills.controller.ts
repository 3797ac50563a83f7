import { Controller, Get, Param } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { ApiKeyAuth } from '../common/auth/auth.decorators';
import { ErrorResponseDto } from '../common/error-response.dto';
import { uuidParam } from '../common/http-errors';
import { MigrationBatchDto } from '../model-migration/dto/migration-batch.dto';
import { BatchBackfills } from './batch-backfills';

export class BatchBackfillDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: ['running', 'completed'] }) state!: string;
  @ApiProperty({ enum: ['ingest'] }) purpose!: string;
  @ApiProperty({ description: 'Pairs it was created with' }) pairs!: number;
  @ApiProperty({ description: 'Passes over its pairs (a later one takes what a batch sent back)' }) pass!: number;
  @ApiProperty({ type: [MigrationBatchDto] }) batches!: MigrationBatchDto[];
  @ApiProperty() createdAt!: Date;
  @ApiProperty({ nullable: true, type: Date }) completedAt!: Date | null;
}

@ApiTags('batch-lane')
@ApiKeyAuth()
@Controller('batch-backfills')
export class BatchBackfillsController {
  constructor(private readonly backfills: BatchBackfills) {}

  @Get(':id')
  @ApiOperation({ summary: 'A bulk import on the batch lane: its state and batches (state, counts, the window deadline)' })
  @ApiOkResponse({ type: BatchBackfillDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  async get(@Param('id', uuidParam()) id: string): Promise<BatchBackfillDto> {
    const backfill = await this.backfills.get(id);
    return {
      id: backfill.id,
      state: backfill.state,
      purpose: backfill.purpose,
      pairs: backfill.pairs,
      pass: backfill.pass,
      batches: backfill.batches.map((batch) => MigrationBatchDto.from(batch)),
      createdAt: backfill.createdAt,
      completedAt: backfill.completedAt,
    };
  }
}
