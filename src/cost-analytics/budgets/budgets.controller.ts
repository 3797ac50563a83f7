import { Body, Controller, Get, Param, Patch, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { AdminOnly, ApiKeyAuth } from '../../common/auth/auth.decorators';
import { ErrorResponseDto } from '../../common/error-response.dto';
import { uuidParam } from '../../common/http-errors';
import { BudgetStatusDto, CreateBudgetDto, UpdateBudgetDto } from '../dto/budget.dto';
import { BudgetStatusService, toBudgetStatusDto } from './budget-status.service';
import { BudgetsService } from './budgets.service';

@ApiTags('cost budgets')
@ApiKeyAuth()
@Controller('cost/budgets')
export class BudgetsController {
  constructor(
    private readonly budgets: BudgetsService,
    private readonly status: BudgetStatusService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Every budget with its current period: spent, pace, forecast and when the pace crosses the limit' })
  @ApiOkResponse({ type: [BudgetStatusDto] })
  async list(): Promise<BudgetStatusDto[]> {
    return (await this.status.statuses(await this.budgets.list())).map(toBudgetStatusDto);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One budget and its current period' })
  @ApiOkResponse({ type: BudgetStatusDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  get(@Param('id', uuidParam()) id: string): Promise<BudgetStatusDto> {
    return this.statusOf(this.budgets.get(id));
  }

  @Post()
  @AdminOnly()
  @ApiOperation({ summary: 'Create a budget: daily, weekly (ISO) or monthly USD limit, optionally for one category and/or model' })
  @ApiCreatedResponse({ type: BudgetStatusDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto })
  @ApiConflictResponse({ description: 'A budget of that name exists', type: ErrorResponseDto })
  create(@Body() body: CreateBudgetDto): Promise<BudgetStatusDto> {
    return this.statusOf(this.budgets.create(body));
  }

  @Patch(':id')
  @AdminOnly()
  @ApiOperation({
    summary: 'Change a budget: name, limit, thresholds, hard cap, enabled',
    description: 'Period, scope and time zone are fixed (fired alerts belong to them); create another budget to change them.',
  })
  @ApiOkResponse({ type: BudgetStatusDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  @ApiConflictResponse({ description: 'A budget of that name exists', type: ErrorResponseDto })
  update(@Param('id', uuidParam()) id: string, @Body() body: UpdateBudgetDto): Promise<BudgetStatusDto> {
    return this.statusOf(this.budgets.update(id, body));
  }

  private async statusOf(budget: ReturnType<BudgetsService['get']>): Promise<BudgetStatusDto> {
    const [status] = await this.status.statuses([await budget]);
    return toBudgetStatusDto(status);
  }
}
