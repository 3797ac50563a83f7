import { Body, Controller, Get, Post } from '@nestjs/common';
import { ApiBadRequestResponse, ApiConflictResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminOnly, ApiKeyAuth } from '../common/auth/auth.decorators';
import { ErrorResponseDto } from '../common/error-response.dto';
import { EmbeddingModelDto, RegisterModelDto } from './dto/embedding-model.dto';
import { EmbeddingModelsService } from './embedding-models.service';

@ApiTags('models')
@ApiKeyAuth()
@Controller('models')
export class ModelsController {
  constructor(private readonly models: EmbeddingModelsService) {}

  @Get()
  @ApiOperation({ summary: 'Embedding models, their prices and which one is active' })
  @ApiOkResponse({ type: [EmbeddingModelDto] })
  async list(): Promise<EmbeddingModelDto[]> {
    const [models, prices] = await Promise.all([this.models.list(), this.models.pricesInForce()]);
    return models.map((model) => EmbeddingModelDto.from(model, prices.get(model.id)));
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
