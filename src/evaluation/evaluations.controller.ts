import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBadRequestResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminOnly, ApiKeyAuth } from '../common/auth/auth.decorators';
import { ErrorResponseDto } from '../common/error-response.dto';
import { uuidParam } from '../common/http-errors';
import { PageQueryDto } from '../common/page.dto';
import { EvaluateModelDto, EvaluationDto, EvaluationEstimateDto, EvaluationPageDto } from './dto/evaluation.dto';
import { EvaluationService } from './evaluation.service';

@ApiTags('evaluation')
@ApiKeyAuth()
@ApiBadRequestResponse({ description: 'Invalid input; `details` names each field', type: ErrorResponseDto })
@Controller('evaluations')
export class EvaluationsController {
  constructor(private readonly evaluations: EvaluationService) {}

  @Post('estimate')
  @HttpCode(200)
  @ApiOperation({ summary: 'What evaluating a model would read and spend: queries, tokens, cost, and warnings (no labelled queries…)' })
  @ApiOkResponse({ type: EvaluationEstimateDto })
  @ApiNotFoundResponse({ description: 'Unknown model', type: ErrorResponseDto })
  estimate(@Body() body: EvaluateModelDto): Promise<EvaluationEstimateDto> {
    return this.evaluations.estimate(body.model);
  }

  @Post()
  @HttpCode(202)
  @AdminOnly()
  @ApiOperation({
    summary:
      'Evaluate a model in the background: recall@1/5/10, MRR@10, nDCG@10 on the labelled queries, agreement with the active model on captured ones',
    description: 'Spends query tokens (ledger purpose `evaluation`): see the estimate first. Read the result with GET /evaluations/{id}.',
  })
  @ApiAcceptedResponse({ type: EvaluationDto })
  @ApiNotFoundResponse({ description: 'Unknown model', type: ErrorResponseDto })
  start(@Body() body: EvaluateModelDto): Promise<EvaluationDto> {
    return this.evaluations.start(body.model);
  }

  @Get()
  @ApiOperation({ summary: 'Evaluations, newest first' })
  @ApiOkResponse({ type: EvaluationPageDto })
  async list(@Query() page: PageQueryDto): Promise<EvaluationPageDto> {
    return { ...(await this.evaluations.list(page.limit, page.offset)), limit: page.limit, offset: page.offset };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One evaluation: status, progress, and its figures once completed' })
  @ApiOkResponse({ type: EvaluationDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  get(@Param('id', uuidParam()) id: string): Promise<EvaluationDto> {
    return this.evaluations.get(id);
  }
}
