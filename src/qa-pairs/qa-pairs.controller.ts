import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Patch, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiHeader,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiPreconditionFailedResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ApiKeyAuth } from '../common/auth/auth.decorators';
import { etagOf, parseIfMatch } from '../common/conditional-request';
import { ErrorResponseDto } from '../common/error-response.dto';
import { uuidParam } from '../common/http-errors';
import { idempotentRequest } from '../common/idempotency/idempotent-request';
import { PRIORITY } from '../queue/embedding-job';
import {
  BulkCreateQaPairsDto,
  BulkCreateResultDto,
  CreateQaPairDto,
  ListQaPairsQueryDto,
  MAX_BULK_ITEMS,
  QaPairDto,
  QaPairPageDto,
  UpdateQaPairDto,
} from './dto/qa-pair.dto';
import { type CreatedPairs, QaPairsService } from './qa-pairs.service';

const ETAG_HEADER = {
  ETag: { description: 'The pair\'s version, quoted (`"3"`); send it back in If-Match for a conditional change', schema: { type: 'string' } },
};
const IF_MATCH = ApiHeader({
  name: 'If-Match',
  required: false,
  description:
    'Apply only if the pair is still at this version: an ETag from an earlier answer (`"3"`), a comma list of them, or `*`. Otherwise 412.',
});
const IDEMPOTENCY_KEY = ApiHeader({
  name: 'Idempotency-Key',
  required: false,
  description:
    'Makes the create safe to retry (1–255 visible ASCII characters, a UUID say; remembered per API key for IDEMPOTENCY_KEY_RETENTION_MS, 24 h by default). ' +
    'The same key with the same body answers the first result again (header `Idempotent-Replayed: true`) without creating anything; with another body, 409. ' +
    'A retry sent while the first request is still running waits for it and gets its answer.',
});
const REPLAYED_HEADER = {
  'Idempotent-Replayed': {
    description: 'true when this answer is the stored result of an earlier request with the same Idempotency-Key',
    schema: { type: 'string' },
  },
};

@ApiTags('qa-pairs')
@ApiKeyAuth()
@ApiBadRequestResponse({ description: 'Invalid input; `details` names each field (or header)', type: ErrorResponseDto })
@Controller('qa-pairs')
export class QaPairsController {
  constructor(private readonly pairs: QaPairsService) {}

  @Post()
  @ApiOperation({
    summary: 'Create a QA pair; it is embedded in the background',
    description: 'The response shows `embedding.state` = pending until a worker has embedded it.',
  })
  @IDEMPOTENCY_KEY
  @ApiCreatedResponse({ type: QaPairDto, headers: { ...ETAG_HEADER, ...REPLAYED_HEADER } })
  @ApiConflictResponse({ description: 'The Idempotency-Key was used for a different request', type: ErrorResponseDto })
  async create(@Body() body: CreateQaPairDto, @Req() request: Request, @Res({ passthrough: true }) response: Response): Promise<QaPairDto> {
    const idempotency = idempotentRequest(request, 'POST /qa-pairs');
    const created = await this.pairs.createMany([body], { priority: PRIORITY.live, fieldPrefix: '', idempotency });
    markReplayed(response, created);
    const [pair] = created.items;
    response.setHeader('ETag', etagOf(pair.version));
    return pair;
  }

  @Post('bulk')
  @ApiOperation({ summary: `Create up to ${MAX_BULK_ITEMS} QA pairs at once (all or none), embedded in the background at bulk priority` })
  @IDEMPOTENCY_KEY
  @ApiCreatedResponse({ type: BulkCreateResultDto, headers: REPLAYED_HEADER })
  @ApiConflictResponse({ description: 'The Idempotency-Key was used for a different request', type: ErrorResponseDto })
  @ApiPayloadTooLargeResponse({ type: ErrorResponseDto })
  async bulkCreate(
    @Body() body: BulkCreateQaPairsDto,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<BulkCreateResultDto> {
    const created = await this.pairs.createMany(body.items, { idempotency: idempotentRequest(request, 'POST /qa-pairs/bulk'), lane: body.lane });
    markReplayed(response, created);
    return { created: created.items.length, notYetQueued: created.notYetQueued, items: created.items, batchBackfillId: created.batchBackfillId };
  }

  @Get()
  @ApiOperation({ summary: 'List QA pairs, newest first, optionally of one category' })
  @ApiOkResponse({ type: QaPairPageDto })
  async list(@Query() query: ListQaPairsQueryDto): Promise<QaPairPageDto> {
    const page = await this.pairs.list(query);
    return { ...page, limit: query.limit, offset: query.offset };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One QA pair with its embedding status' })
  @ApiOkResponse({ type: QaPairDto, headers: ETAG_HEADER })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  async get(@Param('id', uuidParam()) id: string, @Res({ passthrough: true }) response: Response): Promise<QaPairDto> {
    const pair = await this.pairs.get(id);
    response.setHeader('ETag', etagOf(pair.version));
    return pair;
  }

  @Patch(':id')
  @ApiOperation({
    summary: 'Change a QA pair; a changed question or answer is embedded again, an unchanged one spends nothing',
    description: 'Only the fields given change; concurrent changes of different fields all land. Any change bumps `version` (the ETag).',
  })
  @IF_MATCH
  @ApiOkResponse({ type: QaPairDto, headers: ETAG_HEADER })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  @ApiPreconditionFailedResponse({
    description: 'If-Match named another version; `context.currentVersion` says which is current',
    type: ErrorResponseDto,
  })
  async update(
    @Param('id', uuidParam()) id: string,
    @Body() body: UpdateQaPairDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ): Promise<QaPairDto> {
    const pair = await this.pairs.update(id, body, parseIfMatch(ifMatch));
    response.setHeader('ETag', etagOf(pair.version));
    return pair;
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a QA pair and its embeddings (its usage history stays)' })
  @IF_MATCH
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  @ApiPreconditionFailedResponse({ description: 'If-Match named another version', type: ErrorResponseDto })
  remove(@Param('id', uuidParam()) id: string, @Headers('if-match') ifMatch: string | undefined): Promise<void> {
    return this.pairs.remove(id, parseIfMatch(ifMatch));
  }
}

function markReplayed(response: Response, created: CreatedPairs): void {
  if (created.replayed) response.setHeader('Idempotent-Replayed', 'true');
}
