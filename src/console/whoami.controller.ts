import { Controller, Get, Req } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { ApiKeys, presentedKey } from '../common/auth/api-keys';
import { ApiKeyAuth } from '../common/auth/auth.decorators';
import { WhoamiDto } from './dto/whoami.dto';

/** What a client (the console) asks to decide which actions to offer; the API still checks the role on every call. */
@ApiTags('auth')
@ApiKeyAuth()
@Controller('whoami')
export class WhoamiController {
  constructor(private readonly keys: ApiKeys) {}

  @Get()
  @ApiOperation({
    summary: "The role of this request's API key: user or admin",
    description: 'Never the key. Admin-only endpoints answer 403 to a user key whatever a client shows.',
  })
  @ApiOkResponse({ type: WhoamiDto })
  whoami(@Req() request: Request): WhoamiDto {
    // The global guard let the request in, so the key is known.
    return { role: this.keys.roleOf(presentedKey(request)) ?? 'user' };
  }
}
