import { Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminOnly, ApiKeyAuth } from '../../common/auth/auth.decorators';
import { ErrorResponseDto } from '../../common/error-response.dto';
import { AlertCheckResultDto, CostAlertListQueryDto, CostAlertPageDto } from '../dto/alert.dto';
import { CostAlertsService } from './cost-alerts.service';

@ApiTags('cost alerts')
@ApiKeyAuth()
@Controller('cost/alerts')
export class CostAlertsController {
  constructor(private readonly alerts: CostAlertsService) {}

  @Get()
  @ApiOperation({ summary: 'Budget alerts, newest first, with their webhook delivery state' })
  @ApiOkResponse({ type: CostAlertPageDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto })
  list(@Query() query: CostAlertListQueryDto): Promise<CostAlertPageDto> {
    return this.alerts.list(query);
  }

  @Post('check')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({ summary: 'Check every budget now (the scheduler does so every COST_ALERT_CHECK_INTERVAL_MS); returns the alerts it raised' })
  @ApiOkResponse({ type: AlertCheckResultDto })
  check(): Promise<AlertCheckResultDto> {
    return this.alerts.checkCostAlerts();
  }
}
