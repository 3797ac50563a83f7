import { Controller, Get, Header, Query, Res } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { ApiKeyAuth } from '../../common/auth/auth.decorators';
import { ErrorResponseDto } from '../../common/error-response.dto';
import { CostReportDto, CostReportQueryDto, MonthlyProjectionDto, ProjectionQueryDto } from '../dto/cost-report.dto';
import { ReconciliationDto, ReconciliationQueryDto } from '../dto/reconciliation.dto';
import { costReportCsv } from './cost-report-csv';
import { CostReportService } from './cost-report.service';
import { CostProjectionService } from './cost-projection.service';
import { parseTimeZone } from './local-date';
import { ReconciliationService } from './reconciliation.service';

@ApiTags('cost')
@ApiKeyAuth()
@Controller('cost')
export class CostReportController {
  constructor(
    private readonly reports: CostReportService,
    private readonly projection: CostProjectionService,
    private readonly reconciliationService: ReconciliationService,
  ) {}

  @Get('report')
  @ApiOperation({
    summary: 'Cost report: totals by local day, ISO week, category, model and purpose, and the month projection',
    description: 'Days are cut in `timeZone` (default UTC); read from rollups only, so any range answers in milliseconds.',
  })
  @ApiOkResponse({ type: CostReportDto })
  @ApiBadRequestResponse({ description: 'A malformed date, end before start, a range over 731 days or an unknown time zone', type: ErrorResponseDto })
  report(@Query() query: CostReportQueryDto): Promise<CostReportDto> {
    return this.reports.getCostReport(query.start, query.end, { timeZone: query.timeZone });
  }

  @Get('report.csv')
  @Header('content-type', 'text/csv; charset=utf-8')
  @ApiOperation({ summary: 'The report as CSV: one line per local day, model, category and purpose with usage' })
  @ApiProduces('text/csv')
  @ApiOkResponse({ description: 'date,iso_week,model,category,purpose,items,tokens,local_tokens,token_difference,cost_usd', type: String })
  @ApiBadRequestResponse({ type: ErrorResponseDto })
  async csv(@Query() query: CostReportQueryDto, @Res({ passthrough: true }) response: Response): Promise<string> {
    const cells = await this.reports.getCostCells(query.start, query.end, { timeZone: query.timeZone });
    response.setHeader('content-disposition', `attachment; filename="embedding-cost-${query.start}-to-${query.end}.csv"`);
    return costReportCsv(cells);
  }

  @Get('projection')
  @ApiOperation({
    summary: "This month's cost so far and forecast, and when the current pace crosses each budget",
    description: 'Forecast = month-to-date actual + the average daily cost of the trailing 7 days × the days left in the month.',
  })
  @ApiOkResponse({ type: MonthlyProjectionDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto })
  projectionOfMonth(@Query() query: ProjectionQueryDto): Promise<MonthlyProjectionDto> {
    return this.projection.monthly(parseTimeZone('timeZone', query.timeZone ?? 'UTC'));
  }

  @Get('reconciliation')
  @ApiOperation({ summary: 'Tokens the provider reported vs tokens counted locally, and the calls where they differ' })
  @ApiOkResponse({ type: ReconciliationDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto })
  reconciliation(@Query() query: ReconciliationQueryDto): Promise<ReconciliationDto> {
    return this.reconciliationService.reconciliation(query.start, query.end, {
      timeZone: query.timeZone,
      limit: query.limit,
      offset: query.offset,
    });
  }
}
