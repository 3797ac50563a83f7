import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { AdminOnly, ApiKeyAuth } from '../common/auth/auth.decorators';
import { ErrorResponseDto } from '../common/error-response.dto';
import { uuidParam } from '../common/http-errors';
import { badRequest } from '../common/errors';
import { EmbeddingModelsService } from '../embeddings/embedding-models.service';
import { DeadLettersService } from './dead-letters/dead-letters.service';
import { DeadLetterDto, DeadLetterFilterDto, DeadLetterListQueryDto, DeadLetterPageDto, ReplayResultDto } from './dto/dead-letter.dto';
import { JobStatusDto, QueueStatsDto, ReconcileResultDto } from './dto/queue-status.dto';
import { QueueStatsService } from './queue-stats.service';
import { Reconciler } from './reconciler.service';

@ApiTags('queue')
@ApiKeyAuth()
@Controller()
export class QueueController {
  constructor(
    private readonly stats: QueueStatsService,
    private readonly reconciler: Reconciler,
  ) {}

  @Get('queue/stats')
  @ApiOperation({ summary: 'Job counts, throughput, dead letters and per-model coverage' })
  @ApiOkResponse({ type: QueueStatsDto })
  getStats(): Promise<QueueStatsDto> {
    return this.stats.stats();
  }

  @Get('jobs/:id')
  @ApiOperation({ summary: 'State of one embedding job, by the id enqueueing returned' })
  @ApiParam({ name: 'id', example: '5b0e0d8a-3c1f-4b8e-9a57-0c0f6c1f2e11:text-embedding-3-small:9f86d081884c7d65' })
  @ApiOkResponse({ type: JobStatusDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto })
  getJob(@Param('id') id: string): Promise<JobStatusDto> {
    if (id.length > 200) throw badRequest('id', 'is not a job id');
    return this.stats.jobStatus(id);
  }

  @Post('queue/reconcile')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({ summary: 'Run the reconciler now: enqueue every pending pair of every model kept current' })
  @ApiOkResponse({ type: ReconcileResultDto })
  reconcile(): Promise<ReconcileResultDto> {
    return this.reconciler.reconcileNow();
  }
}

@ApiTags('dead letters')
@ApiKeyAuth()
@Controller('dead-letters')
export class DeadLettersController {
  constructor(
    private readonly deadLetters: DeadLettersService,
    private readonly models: EmbeddingModelsService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'List dead letters, newest failure first' })
  @ApiOkResponse({ type: DeadLetterPageDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto })
  async list(@Query() query: DeadLetterListQueryDto): Promise<DeadLetterPageDto> {
    const { limit, offset, ...filter } = query;
    const page = await this.deadLetters.list(filter, limit, offset);
    const names = await this.models.namesById();
    return { total: page.total, items: page.items.map((letter) => DeadLetterDto.from(letter, names.get(letter.modelId) ?? '')) };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One dead letter' })
  @ApiOkResponse({ type: DeadLetterDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  async get(@Param('id', uuidParam()) id: string): Promise<DeadLetterDto> {
    const letter = await this.deadLetters.get(id);
    return DeadLetterDto.from(letter, (await this.models.namesById()).get(letter.modelId) ?? '');
  }

  @Post(':id/replay')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({ summary: 'Replay one dead letter: enqueue the pair again with full attempts' })
  @ApiOkResponse({ type: ReplayResultDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  replay(@Param('id', uuidParam()) id: string): Promise<ReplayResultDto> {
    return this.deadLetters.replay(id);
  }

  @Post('replay')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({ summary: 'Replay every dead letter matching the filter (an empty body replays all)' })
  @ApiOkResponse({ type: ReplayResultDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto })
  replayMatching(@Body() filter: DeadLetterFilterDto): Promise<ReplayResultDto> {
    return this.deadLetters.replayMatching(filter);
  }

  @Delete(':id')
  @AdminOnly()
  @ApiOperation({ summary: 'Discard a dead letter: hide it and stop retrying this content (an edit of the pair starts afresh)' })
  @ApiOkResponse({ type: DeadLetterDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  async discard(@Param('id', uuidParam()) id: string): Promise<DeadLetterDto> {
    const letter = await this.deadLetters.discard(id);
    return DeadLetterDto.from(letter, (await this.models.namesById()).get(letter.modelId) ?? '');
  }
}
