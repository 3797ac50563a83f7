import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { AdminOnly, ApiKeyAuth } from '../../common/auth/auth.decorators';
import { ErrorResponseDto } from '../../common/error-response.dto';
import { uuidParam } from '../../common/http-errors';
import { PageQueryDto } from '../../common/page.dto';
import { DriftService } from './drift.service';
import { DriftCheckDto, DriftCheckPageDto, StartDriftCheckDto } from '../dto/drift.dto';

const NOT_QUEUED = { description: 'Redis did not take the job; the check is stored as interrupted and can be retried', type: ErrorResponseDto };

@ApiTags('compare')
@ApiKeyAuth()
@ApiBadRequestResponse({ description: 'Invalid input; `details` names each field', type: ErrorResponseDto })
@Controller('compare/drift')
export class DriftController {
  constructor(private readonly drift: DriftService) {}

  @Post()
  @AdminOnly()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Start a drift check: re-embed a random sample of unchanged pairs and compare with their stored vectors',
    description: 'Runs in the background (poll the id). Spends tokens, recorded in the usage ledger under purpose `drift`.',
  })
  @ApiAcceptedResponse({ type: DriftCheckDto })
  @ApiNotFoundResponse({ description: 'Unknown model', type: ErrorResponseDto })
  @ApiServiceUnavailableResponse(NOT_QUEUED)
  async start(@Body() body: StartDriftCheckDto): Promise<DriftCheckDto> {
    return DriftCheckDto.from(await this.drift.start(body));
  }

  @Get()
  @ApiOperation({ summary: 'Drift checks and their reports, newest first' })
  @ApiOkResponse({ type: DriftCheckPageDto })
  async list(@Query() query: PageQueryDto): Promise<DriftCheckPageDto> {
    const page = await this.drift.list(query.limit, query.offset);
    return { total: page.total, limit: query.limit, offset: query.offset, items: page.items.map(DriftCheckDto.from) };
  }

  @Get(':id')
  @ApiOperation({ summary: 'A drift check: status, progress, and its report once completed' })
  @ApiOkResponse({ type: DriftCheckDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  async get(@Param('id', uuidParam()) id: string): Promise<DriftCheckDto> {
    return DriftCheckDto.from(await this.drift.view(id));
  }

  @Post(':id/retry')
  @AdminOnly()
  @HttpCode(202)
  @ApiOperation({ summary: 'Run a failed or interrupted drift check again (spends tokens again)' })
  @ApiAcceptedResponse({ type: DriftCheckDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  @ApiConflictResponse({ description: 'The check is queued, running or completed', type: ErrorResponseDto })
  @ApiServiceUnavailableResponse(NOT_QUEUED)
  async retry(@Param('id', uuidParam()) id: string): Promise<DriftCheckDto> {
    return DriftCheckDto.from(await this.drift.retry(id));
  }
}
