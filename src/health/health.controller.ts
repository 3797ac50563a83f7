import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Request, Response } from 'express';
import type Redis from 'ioredis';
import type { DataSource } from 'typeorm';
import { ApiKeys, presentedKey } from '../common/auth/api-keys';
import { Public } from '../common/auth/auth.decorators';
import { ErrorResponseDto } from '../common/error-response.dto';
import { REDIS } from '../redis/redis.tokens';

class DependencyHealthDto {
  @ApiProperty() ok!: boolean;
  @ApiProperty({ example: 1.2, required: false, description: 'Only with a valid API key' }) latencyMs?: number;
  @ApiProperty({ required: false, description: 'Why the check failed; only with a valid API key (it may name internal hosts)' }) error?: string;
}

class HealthDto {
  @ApiProperty({ enum: ['ok', 'unavailable'] }) status!: 'ok' | 'unavailable';
  @ApiProperty({ type: DependencyHealthDto }) postgres!: DependencyHealthDto;
  @ApiProperty({ type: DependencyHealthDto }) redis!: DependencyHealthDto;
}

const CHECK_TIMEOUT_MS = 2_000;

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly keys: ApiKeys,
  ) {}

  @Get()
  @Public()
  @ApiOperation({
    summary: 'Liveness and readiness: PostgreSQL and Redis answer',
    description: 'Open to anyone, who sees up or down per dependency; with a valid API key it also shows latencies and error messages.',
  })
  @ApiOkResponse({ type: HealthDto })
  @ApiServiceUnavailableResponse({ type: HealthDto })
  @ApiBadRequestResponse({ description: 'A body was sent and it is not valid JSON (this GET takes none)', type: ErrorResponseDto })
  async health(@Req() request: Request, @Res({ passthrough: true }) response: Response): Promise<HealthDto> {
    const [postgres, redis] = await Promise.all([check(() => this.db.query('SELECT 1')), check(() => this.redis.ping())]);
    const ok = postgres.ok && redis.ok;
    response.status(ok ? 200 : 503);
    const detailed = this.keys.roleOf(presentedKey(request)) !== undefined;
    const shown = (dependency: DependencyHealthDto) => (detailed ? dependency : { ok: dependency.ok });
    return { status: ok ? 'ok' : 'unavailable', postgres: shown(postgres), redis: shown(redis) };
  }
}

async function check(probe: () => Promise<unknown>): Promise<DependencyHealthDto> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return { ok: true, latencyMs: Math.round((performance.now() - started) * 10) / 10 };
  } catch (error) {
    return { ok: false, latencyMs: Math.round(performance.now() - started), error: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}
