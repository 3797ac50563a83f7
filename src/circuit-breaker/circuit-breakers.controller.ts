import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { AdminOnly, ApiKeyAuth } from '../common/auth/auth.decorators';
import { ErrorResponseDto } from '../common/error-response.dto';
import { notFound } from '../common/errors';
import { BreakerControlDto, BreakerTransitionDto, CircuitBreakerDto, ForceOpenDto, RateBudgetDto } from './dto/circuit-breaker.dto';
import type { ProviderGuard } from './provider-guard';
import { ProviderGuards } from './provider-guards';

const NAME_PARAM = { name: 'name', example: 'openai', description: 'The breaker, named after the provider it guards' };

/** Reading the breakers and rate budgets (any key) and controlling the breakers (admin key). */
@ApiTags('circuit breakers')
@ApiKeyAuth()
@Controller('circuit-breakers')
export class CircuitBreakersController {
  constructor(private readonly guards: ProviderGuards) {}

  @Get()
  @ApiOperation({ summary: 'Every breaker: state, counters, when it opened, next probe, last error, forcing' })
  @ApiOkResponse({ type: [CircuitBreakerDto] })
  async list(): Promise<CircuitBreakerDto[]> {
    return (await Promise.all(this.guards.all().map((guard) => guard.breaker.snapshot()))).map(CircuitBreakerDto.from);
  }

  @Get(':name')
  @ApiOperation({ summary: 'One breaker' })
  @ApiParam(NAME_PARAM)
  @ApiOkResponse({ type: CircuitBreakerDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  async get(@Param('name') name: string): Promise<CircuitBreakerDto> {
    return CircuitBreakerDto.from(await this.guard(name).breaker.snapshot());
  }

  @Get(':name/history')
  @ApiOperation({ summary: "The breaker's latest transitions, newest first" })
  @ApiParam(NAME_PARAM)
  @ApiOkResponse({ type: [BreakerTransitionDto] })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  async history(@Param('name') name: string): Promise<BreakerTransitionDto[]> {
    return (await this.guard(name).breaker.history()).map(BreakerTransitionDto.from);
  }

  @Get(':name/rate-budget')
  @ApiOperation({ summary: "The shared rate budget of the breaker's provider: effective limits and the latest block" })
  @ApiParam(NAME_PARAM)
  @ApiOkResponse({ type: RateBudgetDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  async rateBudget(@Param('name') name: string): Promise<RateBudgetDto> {
    const { budget } = this.guard(name);
    return RateBudgetDto.from(budget.name, budget.windowMs, budget.maxBlockMs, await budget.limits());
  }

  @Post(':name/rate-limit/reset')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({
    summary: "End the rate budget's block now (a Retry-After or a used-up provider window), in every process",
    description:
      'Calls go through again at once; if the provider still refuses them, its next 429 blocks again (for at most RATE_LIMIT_MAX_BLOCK_MS). ' +
      'The learned limits and the requests already counted in the window are kept.',
  })
  @ApiParam(NAME_PARAM)
  @ApiOkResponse({ type: RateBudgetDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  async resetRateLimit(@Param('name') name: string): Promise<RateBudgetDto> {
    const { budget } = this.guard(name);
    await budget.clearBlock();
    return RateBudgetDto.from(budget.name, budget.windowMs, budget.maxBlockMs, await budget.limits());
  }

  @Post(':name/force-open')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({ summary: 'Reject every call in every process until released (successes and timeouts do not close it)' })
  @ApiParam(NAME_PARAM)
  @ApiOkResponse({ type: CircuitBreakerDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  forceOpen(@Param('name') name: string, @Body() body: ForceOpenDto): Promise<CircuitBreakerDto> {
    const guard = this.guard(name);
    return this.control(guard, () => guard.breaker.forceOpen(body.reason));
  }

  @Post(':name/force-closed')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({ summary: 'Admit every call until released; failures are still counted but never open it' })
  @ApiParam(NAME_PARAM)
  @ApiOkResponse({ type: CircuitBreakerDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  forceClosed(@Param('name') name: string, @Body() body: BreakerControlDto): Promise<CircuitBreakerDto> {
    const guard = this.guard(name);
    return this.control(guard, () => guard.breaker.forceClosed(body?.reason));
  }

  @Post(':name/release')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({ summary: 'End forcing: a breaker forced open goes half-open (a probe first), one forced closed goes closed' })
  @ApiParam(NAME_PARAM)
  @ApiOkResponse({ type: CircuitBreakerDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  release(@Param('name') name: string, @Body() body: BreakerControlDto): Promise<CircuitBreakerDto> {
    const guard = this.guard(name);
    return this.control(guard, () => guard.breaker.release(body?.reason));
  }

  @Post(':name/reset')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({ summary: 'Closed, counters, last error and forcing cleared (the history is kept)' })
  @ApiParam(NAME_PARAM)
  @ApiOkResponse({ type: CircuitBreakerDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  reset(@Param('name') name: string, @Body() body: BreakerControlDto): Promise<CircuitBreakerDto> {
    const guard = this.guard(name);
    return this.control(guard, () => guard.breaker.reset(body?.reason));
  }

  /** Only the configured breakers exist here: forcing an unknown name would create one nobody calls through. */
  private guard(name: string): ProviderGuard {
    const guard = this.guards.get(name);
    if (!guard) throw notFound('circuit breaker', name);
    return guard;
  }

  private async control(guard: ProviderGuard, action: () => Promise<unknown>): Promise<CircuitBreakerDto> {
    await action();
    return CircuitBreakerDto.from(await guard.breaker.snapshot());
  }
}
