import { Controller, Get, Param, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiExcludeController,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../common/auth/auth.decorators';
import { ErrorResponseDto } from '../common/error-response.dto';
import { notFound } from '../common/errors';
import { CONSOLE_FOLDERS, ConsoleAssets, type ConsoleFile } from './console-assets';

/** Scripts, styles and data only from this origin; nothing inline, no frames, no forms posting anywhere. */
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
/** Our own files are revalidated on every load (Express answers 304 from the ETag): an old module never runs beside a new one. */
const OWN_FILES_CACHE = 'no-cache';
const CHART_JS_CACHE = 'public, max-age=3600';

/**
 * The operations console at /console (outside /api/v1): one page and its ES modules. The
 * files are public; every figure on them comes from the REST API with the key the user typed
 * in, kept in sessionStorage and sent as a header, never in the page or a URL.
 */
@ApiTags('console')
@Public()
@Controller('console')
export class ConsoleController {
  constructor(private readonly assets: ConsoleAssets) {}

  @Get()
  @ApiOperation({ summary: 'The operations console (HTML): overview, queue, breakers, migrations, near-duplicates, drift, costs' })
  @ApiProduces('text/html')
  @ApiOkResponse({ description: 'The page', type: String })
  @ApiBadRequestResponse({ description: 'A body was sent and it is not valid JSON (this GET takes none)', type: ErrorResponseDto })
  page(@Res() response: Response): void {
    send(response, this.assets.get('index.html')!, OWN_FILES_CACHE);
  }

  @Get(':file')
  @ApiOperation({ summary: "The console's entry module, stylesheet and bundled Chart.js" })
  @ApiParam({ name: 'file', example: 'app.js' })
  @ApiProduces('text/javascript', 'text/css')
  @ApiOkResponse({ description: 'The file', type: String })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  file(@Param('file') name: string, @Res() response: Response): void {
    const file = name === 'index.html' ? undefined : this.assets.get(name);
    if (!file) throw notFound('console file', name);
    send(response, file, name.startsWith('chart.') ? CHART_JS_CACHE : OWN_FILES_CACHE);
  }

  @Get(':folder/:file')
  @ApiOperation({ summary: "The console's other modules (its pages and their helpers)" })
  @ApiParam({ name: 'folder', enum: CONSOLE_FOLDERS })
  @ApiParam({ name: 'file', example: 'queue.js' })
  @ApiProduces('text/javascript')
  @ApiOkResponse({ description: 'The file', type: String })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  nested(@Param('folder') folder: string, @Param('file') name: string, @Res() response: Response): void {
    const file = this.assets.get(`${folder}/${name}`);
    if (!file) throw notFound('console file', `${folder}/${name}`);
    send(response, file, OWN_FILES_CACHE);
  }
}

/**
 * The cost dashboard's old address: its charts are now the console's Costs page. A redirect
 * rather than a second copy, so bookmarks keep working and there is one page to maintain;
 * a browser convenience, not API, hence not in the OpenAPI document.
 */
@ApiExcludeController()
@Public()
@Controller('dashboard')
export class DashboardRedirectController {
  constructor(private readonly assets: ConsoleAssets) {}

  @Get()
  page(@Res() response: Response): void {
    response.redirect(302, '/console/#/costs');
  }

  @Get(':file')
  file(@Param('file') name: string, @Res() response: Response): void {
    if (name === 'index.html' || !this.assets.get(name)) throw notFound('dashboard file', name);
    response.redirect(301, `/console/${encodeURIComponent(name)}`);
  }
}

function send(response: Response, file: ConsoleFile, cacheControl: string): void {
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
