import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { AdminOnly, ApiKeyAuth } from '../common/auth/auth.decorators';
import { ErrorResponseDto } from '../common/error-response.dto';
import { uuidParam } from '../common/http-errors';
import { PageQueryDto } from '../common/page.dto';
import { CapturedQueries } from './captured-queries';
import {
  CapturedQueryPageDto,
  CreateLabelledQueryDto,
  DeletedCountDto,
  ImportLabelledQueriesDto,
  ImportResultDto,
  LabelledQueryDto,
  LabelledQueryPageDto,
} from './dto/evaluation.dto';
import { parseLabelledQueries } from './labelled-query-import';
import { LabelledQueries } from './labelled-queries';

@ApiTags('evaluation')
@ApiKeyAuth()
@ApiBadRequestResponse({ description: 'Invalid input; `details` names each field (or line of an import)', type: ErrorResponseDto })
@Controller('evaluation')
export class LabelledQueriesController {
  constructor(
    private readonly labelled: LabelledQueries,
    private readonly captured: CapturedQueries,
  ) {}

  @Post('queries')
  @ApiOperation({ summary: 'Add a labelled query: a query text and the QA pairs that should answer it (the same text again replaces its answers)' })
  @ApiCreatedResponse({ type: LabelledQueryDto })
  async create(@Body() body: CreateLabelledQueryDto): Promise<LabelledQueryDto> {
    const item = { query: body.query.trim(), relevantPairIds: body.relevantPairIds.map((id) => id.toLowerCase()), category: body.category?.trim() };
    const [id] = await this.labelled.upsert([item], (_, problem) => ({ field: 'relevantPairIds', problem }));
    return this.labelled.get(id);
  }

  @Post('queries/import')
  @ApiOperation({ summary: 'Import labelled queries from a CSV or JSON Lines file, all or nothing' })
  @ApiCreatedResponse({ type: ImportResultDto })
  async import(@Body() body: ImportLabelledQueriesDto): Promise<ImportResultDto> {
    const items = parseLabelledQueries(body.format, body.content);
    const ids = await this.labelled.upsert(items, (index, problem) => ({ field: 'content', problem: `line ${items[index].line}: ${problem}` }));
    return { imported: new Set(ids).size };
  }

  @Get('queries')
  @ApiOperation({ summary: 'Labelled queries, newest first' })
  @ApiOkResponse({ type: LabelledQueryPageDto })
  async list(@Query() page: PageQueryDto): Promise<LabelledQueryPageDto> {
    return { ...(await this.labelled.list(page.limit, page.offset)), limit: page.limit, offset: page.offset };
  }

  @Get('queries/:id')
  @ApiOperation({ summary: 'One labelled query and its answers' })
  @ApiOkResponse({ type: LabelledQueryDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  get(@Param('id', uuidParam()) id: string): Promise<LabelledQueryDto> {
    return this.labelled.get(id);
  }

  @Delete('queries/:id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a labelled query' })
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  async delete(@Param('id', uuidParam()) id: string): Promise<void> {
    await this.labelled.delete(id);
  }

  @Get('captured-queries')
  @AdminOnly()
  @ApiOperation({ summary: 'Captured search queries within retention, newest first (only when EVALUATION_CAPTURE_QUERIES is on); admins only' })
  @ApiOkResponse({ type: CapturedQueryPageDto })
  async captures(@Query() page: PageQueryDto): Promise<CapturedQueryPageDto> {
    return { ...(await this.captured.list(page.limit, page.offset)), limit: page.limit, offset: page.offset };
  }

  @Delete('captured-queries')
  @AdminOnly()
  @ApiOperation({ summary: 'Delete every captured search query' })
  @ApiOkResponse({ type: DeletedCountDto })
  async clearCaptures(): Promise<DeletedCountDto> {
    return { deleted: await this.captured.clear() };
  }
}
