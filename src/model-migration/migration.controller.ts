import { Body, Controller, Get, HttpCode, Logger, Param, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { presentedKey } from '../common/auth/api-keys';
import { AdminOnly, ApiKeyAuth } from '../common/auth/auth.decorators';
import { ErrorResponseDto } from '../common/error-response.dto';
import { uuidParam } from '../common/http-errors';
import { EmbeddingModelsService } from '../embeddings/embedding-models.service';
import { MigrationEstimateDto } from './dto/migration-estimate.dto';
import { MigrationDto, MigrationEventDto, MigrationPageDto, PairsToMigratePageDto } from './dto/migration.dto';
import {
  CompareRequestDto,
  ListMigrationsQueryDto,
  MigrationModelsDto,
  PairsToMigrateQueryDto,
  StartMigrationDto,
} from './dto/migration-request.dto';
import { NeighbourComparisonDto } from './dto/neighbour-comparison.dto';
import type { ModelMigrationEntity } from './model-migration.entity';
import { EventStreams } from './event-streams';
import { MigrationPacing } from './migration-pacing';
import { BatchLane } from '../batch-lane/batch-lane.service';
import { MigrationService } from './migration.service';
import { ShadowSearches } from './shadow-searches';
import { CutoverRequestDto } from './dto/quality-gate.dto';

const EVENTS_POLL_MS = 1_000;

@ApiTags('migrations')
@ApiKeyAuth()
@ApiBadRequestResponse({ description: 'Invalid input; `details` names each field', type: ErrorResponseDto })
@Controller('migrations')
export class MigrationController {
  private readonly logger = new Logger(MigrationController.name);

  constructor(
    private readonly migrations: MigrationService,
    private readonly models: EmbeddingModelsService,
    private readonly streams: EventStreams,
    private readonly pacing: MigrationPacing,
    private readonly shadow: ShadowSearches,
    private readonly batchLane: BatchLane,
  ) {}

  @Post('estimate')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Estimate a migration before starting it: pairs, tokens (counted locally), cost at the target price, ETA',
    description: 'The ETA is the slower of what RATE_LIMIT_RPM / RATE_LIMIT_TPM allow and the measured throughput.',
  })
  @ApiOkResponse({ type: MigrationEstimateDto })
  @ApiNotFoundResponse({ description: 'Unknown model', type: ErrorResponseDto })
  @ApiConflictResponse({ description: 'Both models are the same', type: ErrorResponseDto })
  estimate(@Body() body: MigrationModelsDto): Promise<MigrationEstimateDto> {
    return this.migrations.estimate(body.fromModel, body.toModel);
  }

  @Get('pairs')
  @ApiOperation({ summary: 'The pairs a migration would still embed: no embedding of their current content under the target' })
  @ApiOkResponse({ type: PairsToMigratePageDto })
  @ApiNotFoundResponse({ description: 'Unknown model', type: ErrorResponseDto })
  @ApiConflictResponse({ description: 'Both models are the same', type: ErrorResponseDto })
  async pairs(@Query() query: PairsToMigrateQueryDto): Promise<PairsToMigratePageDto> {
    const items = await this.migrations.pairsToMigrate(query.fromModel, query.toModel, query.after ?? null, query.limit);
    return { items, next: items.length === query.limit ? items[items.length - 1].qaPairId : null };
  }

  @Post()
  @AdminOnly()
  @ApiOperation({
    summary: 'Start migrating every embedding to another model while search keeps answering from the active one',
    description:
      'Creates and edits are embedded for both models from now on; the rest goes through the queue at migration priority. ' +
      'Follow it with GET /migrations/{id} or the SSE stream /migrations/{id}/events.',
  })
  @ApiCreatedResponse({ type: MigrationDto })
  @ApiNotFoundResponse({ description: 'Unknown model', type: ErrorResponseDto })
  @ApiConflictResponse({
    description: 'Same model, source not active, or a migration between these models already in progress',
    type: ErrorResponseDto,
  })
  async start(@Body() body: StartMigrationDto): Promise<MigrationDto> {
    return this.dto(
      await this.migrations.start(body.fromModel, body.toModel, {
        batchSize: body.batchSize,
        autoCutover: body.autoCutover,
        maxFailureShare: body.maxFailureShare,
        gate: body.gate,
        lane: body.lane,
      }),
    );
  }

  @Get()
  @ApiOperation({ summary: 'Migrations, newest first' })
  @ApiOkResponse({ type: MigrationPageDto })
  async list(@Query() query: ListMigrationsQueryDto): Promise<MigrationPageDto> {
    const page = await this.migrations.list(query.limit, query.offset, query.state);
    const names = await this.models.namesById();
    const pacing = await this.pacing.states(page.items.filter((m) => m.state === 'running' || m.state === 'paused').map((m) => m.id));
    const shadow = await this.shadow.summary(page.items.map((m) => m.id));
    const batches = await this.batchLane.forMigrations(page.items.filter((m) => m.lane === 'batch').map((m) => m.id));
    return {
      total: page.total,
      limit: query.limit,
      offset: query.offset,
      items: page.items.map((m) =>
        MigrationDto.fromRecord(
          m,
          names,
          pacing.get(m.id),
          shadow.get(m.id),
          batches.filter((batch) => batch.migrationId === m.id),
        ),
      ),
    };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One migration: state, progress, rate, ETA, estimate and comparison' })
  @ApiOkResponse({ type: MigrationDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  async get(@Param('id', uuidParam()) id: string): Promise<MigrationDto> {
    return this.dto(await this.migrations.get(id));
  }

  /**
   * Written by hand rather than with @Sse(): Nest commits an SSE response's 200 before an
   * async handler settles, so an unknown id could only be an error event, not a 404.
   * Each stream counts against its key's SSE_MAX_STREAMS_PER_KEY; a stopping server ends it
   * with a `shutdown` event (EventStreams).
   */
  @Get(':id/events')
  @ApiOperation({
    summary: 'Server-sent events: the progress and ETA whenever they change, until the migration settles',
    description:
      'Each `data` is a MigrationEventDto; the stream ends after ready, cut_over, rolled_back, cancelled or failed, ' +
      'or with an `event: shutdown` when the server stops (reconnect). One API key may hold SSE_MAX_STREAMS_PER_KEY streams open (429 beyond).',
  })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({ type: MigrationEventDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  @ApiTooManyRequestsResponse({ description: 'This key already holds SSE_MAX_STREAMS_PER_KEY streams', type: ErrorResponseDto })
  async events(@Param('id', uuidParam()) id: string, @Req() request: Request, @Res() response: Response): Promise<void> {
    await this.migrations.get(id);
    const stop = new AbortController();
    let shutdownReason: string | undefined;
    const release = this.streams.register(presentedKey(request) ?? '', {
      end: (reason) => {
        shutdownReason ??= reason;
        stop.abort();
      },
    });
    response.once('close', () => stop.abort());
    try {
      response.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      response.flushHeaders();
      for await (const migration of this.migrations.watch(id, EVENTS_POLL_MS, stop.signal)) {
        if (stop.signal.aborted) break;
        const batches = migration.lane === 'batch' ? await this.batchLane.forMigrations([migration.id]) : [];
        response.write(`data: ${JSON.stringify(MigrationEventDto.from(migration, batches))}\n\n`);
      }
    } catch (error) {
      this.logger.warn({ err: error, migrationId: id }, 'migration event stream failed');
      response.write(`event: error\ndata: ${JSON.stringify({ message: 'the progress could not be read; reconnect' })}\n\n`);
    } finally {
      release();
    }
    if (shutdownReason) response.write(`event: shutdown\ndata: ${JSON.stringify({ message: shutdownReason })}\n\n`);
    response.end();
  }

  @Post(':id/pause')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({ summary: 'Pause: stop feeding and withdraw queued jobs (creates and edits are still embedded for both models)' })
  @ApiOkResponse({ type: MigrationDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  @ApiConflictResponse({ description: 'Not running', type: ErrorResponseDto })
  async pause(@Param('id', uuidParam()) id: string): Promise<MigrationDto> {
    return this.dto(await this.migrations.pause(id));
  }

  @Post(':id/resume')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({ summary: 'Resume a paused migration from its cursor' })
  @ApiOkResponse({ type: MigrationDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  @ApiConflictResponse({ description: 'Not paused', type: ErrorResponseDto })
  async resume(@Param('id', uuidParam()) id: string): Promise<MigrationDto> {
    return this.dto(await this.migrations.resume(id));
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({ summary: "Cancel before cutover: search stays on the old model; the new model's vectors stay until a cleanup" })
  @ApiOkResponse({ type: MigrationDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  @ApiConflictResponse({ description: 'Already cut over or ended', type: ErrorResponseDto })
  async cancel(@Param('id', uuidParam()) id: string): Promise<MigrationDto> {
    return this.dto(await this.migrations.cancel(id));
  }

  @Post(':id/cutover')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({
    summary: 'Switch search to the new model now (in one transaction); refused while pairs search serves lack a new embedding',
    description:
      'When the quality gate held the migration (`gate.verdict` = held), a `reason` is required (400 without one) and recorded as `cutoverReason`.',
  })
  @ApiOkResponse({ type: MigrationDto })
  @ApiBadRequestResponse({ description: 'The quality gate held the migration and no `reason` was given', type: ErrorResponseDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  @ApiConflictResponse({ description: 'Not running or ready, the source is no longer active, or pairs still missing', type: ErrorResponseDto })
  async cutover(@Param('id', uuidParam()) id: string, @Body() body: CutoverRequestDto): Promise<MigrationDto> {
    return this.dto(await this.migrations.cutover(id, body.reason?.trim()));
  }

  @Post(':id/rollback')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({ summary: 'Switch search back to the old model (kept current since the cutover), until a cleanup' })
  @ApiOkResponse({ type: MigrationDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  @ApiConflictResponse({ description: 'Not cut over, or already cleaned up', type: ErrorResponseDto })
  async rollback(@Param('id', uuidParam()) id: string): Promise<MigrationDto> {
    return this.dto(await this.migrations.rollback(id));
  }

  @Post(':id/cleanup')
  @HttpCode(202)
  @AdminOnly()
  @ApiOperation({
    summary: "Delete the losing model's vectors (the old one after a cutover, the new one otherwise), in the background",
    description: 'Ends the possibility of a rollback. Done when `cleanedAt` is set.',
  })
  @ApiAcceptedResponse({ type: MigrationDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  @ApiConflictResponse({ description: 'Still in progress, already requested, or the vectors are in use', type: ErrorResponseDto })
  async cleanup(@Param('id', uuidParam()) id: string): Promise<MigrationDto> {
    return this.dto(await this.migrations.cleanup(id));
  }

  @Post(':id/comparison')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({
    summary: "Compare old vs new now on a sample: overlap of each pair's top-10 neighbours under each model",
    description:
      'Information for the cutover decision; uses stored vectors, spends no tokens. Kept on the migration (replacing the last one), so it needs an admin key.',
  })
  @ApiOkResponse({ type: NeighbourComparisonDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  compare(@Param('id', uuidParam()) id: string, @Body() body: CompareRequestDto): Promise<NeighbourComparisonDto> {
    return this.migrations.compare(id, body.sampleSize);
  }

  private async dto(migration: ModelMigrationEntity): Promise<MigrationDto> {
    const running = migration.state === 'running' || migration.state === 'paused';
    const pacing = running ? await this.pacing.states([migration.id]) : undefined;
    const shadow = await this.shadow.summary([migration.id]);
    const batches = migration.lane === 'batch' ? await this.batchLane.forMigrations([migration.id]) : [];
    return MigrationDto.fromRecord(migration, await this.models.namesById(), pacing?.get(migration.id), shadow.get(migration.id), batches);
  }
}
