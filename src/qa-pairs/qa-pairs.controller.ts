import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse, ApiCreatedResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation,
  ApiPayloadTooLargeResponse, ApiTags,
} from '@nestjs/swagger';
import { ApiKeyAuth } from '../common/auth/auth.decorators';
import { ErrorResponseDto } from '../common/error-response.dto';
import { uuidParam } from '../common/http-errors';
import {
  BulkCreateQaPairsDto, BulkCreateResultDto, CreateQaPairDto, ListQaPairsQueryDto, MAX_BULK_ITEMS, QaPairDto, QaPairPageDto,
  UpdateQaPairDto,
} from './dto/qa-pair.dto';
import { QaPairsService } from './qa-pairs.service';


@ApiTags('qa-pairs')
@ApiKeyAuth()
@ApiBadRequestResponse({ description: 'Invalid input; `details` names each field', type: ErrorResponseDto })
@Controller('qa-pairs')
export class QaPairsController {
  constructor(private readonly pairs: QaPairsService) {}

  @Post()
  @ApiOperation({ summary: 'Create a QA pair; it is embedded in the background', description: 'The response shows `embedding.state` = pending until a worker has embedded it.' })
  @ApiCreatedResponse({ type: QaPairDto })
  create(@Body() body: CreateQaPairDto): Promise<QaPairDto> {
    return this.pairs.create(body);
  }

  @Post('bulk')
  @ApiOperation({ summary: `Create up to ${MAX_BULK_ITEMS} QA pairs at once (all or none), embedded in the background at bulk priority` })
  @ApiCreatedResponse({ type: BulkCreateResultDto })
  @ApiPayloadTooLargeResponse({ type: ErrorResponseDto })
  async bulkCreate(@Body() body: BulkCreateQaPairsDto): Promise<BulkCreateResultDto> {
    const created = await this.pairs.createMany(body.items);
    return { created: created.length, notYetQueued: created.filter((c) => !c.queued).length, items: created.map((c) => c.pair) };
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
  @ApiOkResponse({ type: QaPairDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  get(@Param('id', uuidParam()) id: string): Promise<QaPairDto> {
    return this.pairs.get(id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change a QA pair; a changed question or answer is embedded again, an unchanged one spends nothing' })
  @ApiOkResponse({ type: QaPairDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  update(@Param('id', uuidParam()) id: string, @Body() body: UpdateQaPairDto): Promise<QaPairDto> {
    return this.pairs.update(id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a QA pair and its embeddings (its usage history stays)' })
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  remove(@Param('id', uuidParam()) id: string): Promise<void> {
    return this.pairs.remove(id);
  }
}
