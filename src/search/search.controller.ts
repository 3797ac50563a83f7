import { Body, Controller, HttpCode, Post, Res } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { ApiKeyAuth } from '../common/auth/auth.decorators';
import { ErrorResponseDto } from '../common/error-response.dto';
import { SearchRequestDto, SearchResponseDto } from './dto/search.dto';
import { SearchLatency } from './search-latency';
import { SearchService } from './search.service';

@ApiTags('search')
@ApiKeyAuth()
@Controller('search')
export class SearchController {
  constructor(
    private readonly searchService: SearchService,
    private readonly latency: SearchLatency,
  ) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Search the QA pairs: vector (default), lexical or hybrid',
    description:
      "A vector or hybrid query's tokens are recorded in the usage ledger (purpose `search`) unless its embedding came from the cache. " +
      'When the query cannot be embedded (breaker open, rate limit, key refused, provider too slow) the lexical index answers: ' +
      '`mode` is then `lexical`, `degradedReason` says why, and so do the `X-Search-Mode` and `X-Search-Degraded` headers.',
  })
  @ApiOkResponse({ type: SearchResponseDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto })
  @ApiServiceUnavailableResponse({ description: 'PostgreSQL cannot answer; see Retry-After', type: ErrorResponseDto })
  async search(@Body() body: SearchRequestDto, @Res({ passthrough: true }) response: Response): Promise<SearchResponseDto> {
    // Every search that got past validation, failed ones too (a slow failure is what pacing must see); memory only.
    const started = performance.now();
    try {
      const result = await this.searchService.search(body);
      response.setHeader('X-Search-Mode', result.mode);
      if (result.degradedReason) response.setHeader('X-Search-Degraded', result.degradedReason);
      return result;
    } finally {
      this.latency.record(performance.now() - started);
    }
  }
}
