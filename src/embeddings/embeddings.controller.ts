import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBadRequestResponse, ApiConflictResponse, ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { AdminOnly, ApiKeyAuth } from '../common/auth/auth.decorators';
import { ErrorResponseDto } from '../common/error-response.dto';
import { EmbeddingModelDto, RegisterModelDto } from './dto/embedding-model.dto';
import { SearchRequestDto, SearchResponseDto } from './dto/search.dto';
import { EmbeddingModelsService } from './embedding-models.service';
import { SearchService } from './search.service';

@ApiTags('search')
@ApiKeyAuth()
@Controller('search')
export class SearchController {
  constructor(private readonly searchService: SearchService) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: 'Semantic search over the active model', description: "The query's tokens are recorded in the usage ledger (purpose `search`)." })
  @ApiOkResponse({ type: SearchResponseDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto })
  @ApiServiceUnavailableResponse({ description: 'The provider is unavailable (breaker open); see Retry-After', type: ErrorResponseDto })
  search(@Body() body: SearchRequestDto): Promise<SearchResponseDto> {
    return this.searchService.search(body);
  }
}

@ApiTags('models')
@ApiKeyAuth()
@Controller('models')
export class ModelsController {
  constructor(private readonly models: EmbeddingModelsService) {}

  @Get()
  @ApiOperation({ summary: 'Embedding models, their prices and which one is active' })
  @ApiOkResponse({ type: [EmbeddingModelDto] })
  async list(): Promise<EmbeddingModelDto[]> {
    return (await this.models.list()).map(EmbeddingModelDto.from);
  }

  @Post()
  @AdminOnly()
  @ApiOperation({ summary: 'Register a model (e.g. text-embedding-3-large shortened to 1024 dimensions) and build its index' })
  @ApiOkResponse({ type: EmbeddingModelDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto })
  @ApiConflictResponse({ description: 'A model of that name exists', type: ErrorResponseDto })
  async register(@Body() body: RegisterModelDto): Promise<EmbeddingModelDto> {
    return EmbeddingModelDto.from(await this.models.register(body));
  }
}
