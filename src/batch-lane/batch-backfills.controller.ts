import { Controller, Get, Param } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiKeyAuth } from '../common/auth/auth.decorators';
import { ErrorResponseDto } from '../common/error-response.dto';
import { uuidParam } from '../common/http-errors';
import { BatchBackfills } from './batch-backfills';
import { BatchBackfillDto } from './dto/batch-backfill.dto';
import { EmbeddingBatchDto } from './dto/embedding-batch.dto';

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
      batches: backfill.batches.map((batch) => EmbeddingBatchDto.from(batch)),
      createdAt: backfill.createdAt,
      completedAt: backfill.completedAt,
    };
  }
}
