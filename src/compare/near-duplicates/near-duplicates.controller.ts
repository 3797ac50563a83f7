import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ApiKeys, presentedKey } from '../../common/auth/api-keys';
import { AdminOnly, ApiKeyAuth } from '../../common/auth/auth.decorators';
import { ErrorResponseDto } from '../../common/error-response.dto';
import { PageQueryDto } from '../../common/page.dto';
import { uuidParam } from '../../common/http-errors';
import { conflict } from '../../common/errors';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { EmbeddingModelsService } from '../../embeddings/embedding-models.service';
import {
  ClusterDto,
  ClusterPageDto,
  DetectedDuplicatePageDto,
  DetectedDuplicatesQueryDto,
  NearDuplicatePairDto,
  NearDuplicatePairPageDto,
  NearDuplicatesRequestDto,
  NearDuplicatesResponseDto,
  ScanPairsQueryDto,
  ScanRunDto,
  ScanRunPageDto,
  StartScanRequestDto,
} from '../dto/near-duplicates.dto';
import { chooseModel } from '../pair-comparison/model-choice';
import { NearDuplicatesService } from './near-duplicates.service';
import { RecordedDuplicates } from './recorded-duplicates';
import { BackgroundRuns } from '../runs/background-runs';
import { ScanResults } from './scan-results';

const NOT_QUEUED = { description: 'Redis did not take the job; the scan is stored as interrupted and can be retried', type: ErrorResponseDto };

@ApiTags('compare')
@ApiKeyAuth()
@ApiBadRequestResponse({ description: 'Invalid input; `details` names each field', type: ErrorResponseDto })
@Controller('compare/near-duplicates')
export class NearDuplicatesController {
  constructor(
    private readonly nearDuplicates: NearDuplicatesService,
    private readonly runs: BackgroundRuns,
    private readonly results: ScanResults,
    private readonly recorded: RecordedDuplicates,
    private readonly models: EmbeddingModelsService,
    private readonly keys: ApiKeys,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Find near-duplicate QA pairs (each pair once, most similar first, optionally clustered)',
    description:
      'Up to NEAR_DUPLICATE_SYNC_MAX_VECTORS current embeddings (5,000 at 1536 dimensions, ~1 s) answer in the request (200). ' +
      'A larger set starts a background scan of all of it (202, `mode: background`), which needs an admin key (403 otherwise): ' +
      'poll `scan.id`, then page through its pairs and clusters.',
  })
  @ApiOkResponse({ type: NearDuplicatesResponseDto, description: 'Answered in the request' })
  @ApiAcceptedResponse({ type: NearDuplicatesResponseDto, description: 'Too large to answer at once: a background scan was started' })
  @ApiForbiddenResponse({ description: 'Too large to answer at once, and background scans need an admin key', type: ErrorResponseDto })
  @ApiNotFoundResponse({ description: 'Unknown model', type: ErrorResponseDto })
  @ApiServiceUnavailableResponse(NOT_QUEUED)
  async find(
    @Body() body: NearDuplicatesRequestDto,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<NearDuplicatesResponseDto> {
    const mayStartScan = this.keys.roleOf(presentedKey(request)) === 'admin';
    const outcome = await this.nearDuplicates.findNearDuplicates(body, { mayStartScan });
    if (outcome.mode === 'background') response.status(202);
    return NearDuplicatesResponseDto.from(outcome);
  }

  @Post('scans')
  @HttpCode(202)
  @AdminOnly()
  @ApiOperation({ summary: 'Start a background near-duplicate scan of every current embedding of a model (or of one category)' })
  @ApiAcceptedResponse({ type: ScanRunDto })
  @ApiNotFoundResponse({ description: 'Unknown model', type: ErrorResponseDto })
  @ApiServiceUnavailableResponse(NOT_QUEUED)
  async startScan(@Body() body: StartScanRequestDto): Promise<ScanRunDto> {
    return ScanRunDto.from(await this.nearDuplicates.startScan(body));
  }

  @Get('scans')
  @ApiOperation({ summary: 'Near-duplicate scans, newest first' })
  @ApiOkResponse({ type: ScanRunPageDto })
  async listScans(@Query() query: PageQueryDto): Promise<ScanRunPageDto> {
    const page = await this.runs.list('near_duplicate_scan', query.limit, query.offset);
    return { total: page.total, limit: query.limit, offset: query.offset, items: page.items.map(ScanRunDto.from) };
  }

  @Get('scans/:id')
  @ApiOperation({ summary: 'A scan: status, progress, and once completed a summary of its results' })
  @ApiOkResponse({ type: ScanRunDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  async getScan(@Param('id', uuidParam()) id: string): Promise<ScanRunDto> {
    return ScanRunDto.from(await this.runs.view(id, 'near_duplicate_scan'));
  }

  @Get('scans/:id/pairs')
  @ApiOperation({
    summary: "A completed scan's pairs, most similar first, in pages",
    description: 'Pairs dismissed as not duplicates (POST /compare/near-duplicates/dismissals) are left out unless `includeDismissed=true`.',
  })
  @ApiOkResponse({ type: NearDuplicatePairPageDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  @ApiConflictResponse({ description: 'The scan has not completed', type: ErrorResponseDto })
  async scanPairs(@Param('id', uuidParam()) id: string, @Query() query: ScanPairsQueryDto): Promise<NearDuplicatePairPageDto> {
    await this.completedScan(id);
    const page = await this.results.pairs(id, query.limit, query.offset, { includeDismissed: query.includeDismissed ?? false });
    return { total: page.total, limit: query.limit, offset: query.offset, items: page.items.map(NearDuplicatePairDto.from) };
  }

  @Get('scans/:id/clusters')
  @ApiOperation({ summary: "A completed scan's clusters (A~B, B~C → one group), largest first, in pages" })
  @ApiOkResponse({ type: ClusterPageDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  @ApiConflictResponse({ description: 'The scan has not completed', type: ErrorResponseDto })
  async scanClusters(@Param('id', uuidParam()) id: string, @Query() query: PageQueryDto): Promise<ClusterPageDto> {
    await this.completedScan(id);
    const page = await this.results.clusters(id, query.limit, query.offset);
    return { total: page.total, limit: query.limit, offset: query.offset, items: page.items.map(ClusterDto.from) };
  }

  @Post('scans/:id/retry')
  @HttpCode(202)
  @AdminOnly()
  @ApiOperation({ summary: 'Run a failed or interrupted scan again' })
  @ApiAcceptedResponse({ type: ScanRunDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  @ApiConflictResponse({ description: 'The scan is queued, running or completed', type: ErrorResponseDto })
  @ApiServiceUnavailableResponse(NOT_QUEUED)
  async retryScan(@Param('id', uuidParam()) id: string): Promise<ScanRunDto> {
    return ScanRunDto.from(await this.runs.retry(id, 'near_duplicate_scan'));
  }

  @Get('detected')
  @ApiOperation({
    summary: 'Near-duplicates found when pairs were embedded',
    description:
      "Each newly embedded pair of the active model is checked against its nearest neighbours; pairs at or above NEAR_DUPLICATE_INGEST_THRESHOLD are listed here while neither pair's content changes. " +
      'Pairs dismissed as not duplicates are left out unless `includeDismissed=true`.',
  })
  @ApiOkResponse({ type: DetectedDuplicatePageDto })
  @ApiNotFoundResponse({ description: 'Unknown model', type: ErrorResponseDto })
  async detected(@Query() query: DetectedDuplicatesQueryDto): Promise<DetectedDuplicatePageDto> {
    const model = await chooseModel(this.models, query.model);
    const page = await this.recorded.list({
      modelId: model.id,
      qaPairId: query.qaPairId,
      category: query.category,
      minSimilarity: query.minSimilarity ?? this.config.compare.ingestCheck.threshold,
      includeDismissed: query.includeDismissed ?? false,
      limit: query.limit,
      offset: query.offset,
    });
    return { total: page.total, limit: query.limit, offset: query.offset, items: page.items };
  }

  private async completedScan(id: string): Promise<void> {
    const run = await this.runs.view(id, 'near_duplicate_scan');
    if (run.status !== 'completed')
      throw conflict(`scan ${id} is ${run.status}; its results are there once it completes`, { id, status: run.status });
  }
}
