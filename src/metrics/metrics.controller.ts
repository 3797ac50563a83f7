import { Controller, Get, Header, Inject, Req, UnauthorizedException } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request } from 'express';
import { Registry } from 'prom-client';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { ApiKeys, presentedKey } from '../common/auth/api-keys';
import { Public } from '../common/auth/auth.decorators';

/** Prometheus metrics; needs an API key unless METRICS_PUBLIC=true. */
@ApiExcludeController()
@Controller({ path: 'metrics', version: undefined })
export class MetricsController {
  constructor(
    private readonly registry: Registry,
    private readonly keys: ApiKeys,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  @Public()
  @Header('Cache-Control', 'no-store')
  async metrics(@Req() request: Request): Promise<string> {
    if (!this.config.auth.metricsPublic && !this.keys.roleOf(presentedKey(request))) {
      throw new UnauthorizedException({ message: 'metrics need an API key (or METRICS_PUBLIC=true)' });
    }
    request.res?.setHeader('Content-Type', this.registry.contentType);
    return this.registry.metrics();
  }
}
