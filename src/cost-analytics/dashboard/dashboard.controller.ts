import { Controller, Get, Param, Res } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../../common/auth/auth.decorators';
import { ErrorResponseDto } from '../../common/error-response.dto';
import { notFound } from '../../common/errors';
import { DashboardAssets, type DashboardFile } from './dashboard-assets';

/** Scripts, styles and data only from this origin; nothing inline, no frames, no forms posting elsewhere. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The cost dashboard at /dashboard (outside /api/v1). The page is public; the API key is
 * typed in by the user, kept in sessionStorage and sent as a header, never in the page or a URL.
 */
@ApiTags('dashboard')
@Public()
@Controller('dashboard')
export class DashboardController {
  constructor(private readonly assets: DashboardAssets) {}

  @Get()
  @ApiOperation({ summary: 'The cost dashboard (HTML): daily cost, categories, models, budgets, alerts, queue and breakers' })
  @ApiProduces('text/html')
  @ApiOkResponse({ description: 'The page', type: String })
  @ApiBadRequestResponse({ description: 'A body was sent and it is not valid JSON (this GET takes none)', type: ErrorResponseDto })
  page(@Res() response: Response): void {
    send(response, this.assets.get('index.html')!, 'no-cache');
  }

  @Get(':file')
  @ApiOperation({ summary: "The dashboard's script, stylesheet and bundled Chart.js" })
  @ApiParam({ name: 'file', enum: ['dashboard.js', 'dashboard.css', 'chart.umd.min.js'] })
  @ApiProduces('text/javascript', 'text/css')
  @ApiOkResponse({ description: 'The file', type: String })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  file(@Param('file') name: string, @Res() response: Response): void {
    const file = name === 'index.html' ? undefined : this.assets.get(name);
    if (!file) throw notFound('dashboard file', name);
    send(response, file, 'public, max-age=300');
  }
}

function send(response: Response, file: DashboardFile, cacheControl: string): void {
  response
    .status(200)
    .set({
      'content-type': file.contentType,
      'cache-control': cacheControl,
      'content-security-policy': CONTENT_SECURITY_POLICY,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
    })
    .send(file.body);
}
