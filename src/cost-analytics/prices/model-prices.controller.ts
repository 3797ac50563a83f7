import { Body, Controller, Get, Post } from '@nestjs/common';
import { ApiBadRequestResponse, ApiConflictResponse, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminOnly, ApiKeyAuth } from '../../common/auth/auth.decorators';
import { ErrorResponseDto } from '../../common/error-response.dto';
import { CreateModelPriceDto, ModelPriceDto, ModelPriceHistoryDto } from '../dto/price.dto';
import { ModelPricesService } from './model-prices.service';

@ApiTags('cost prices')
@ApiKeyAuth()
@Controller('cost/prices')
export class ModelPricesController {
  constructor(private readonly prices: ModelPricesService) {}

  @Get()
  @ApiOperation({ summary: "Every model's price now and its price history" })
  @ApiOkResponse({ type: [ModelPriceHistoryDto] })
  history(): Promise<ModelPriceHistoryDto[]> {
    return this.prices.history();
  }

  @Post()
  @AdminOnly()
  @ApiOperation({
    summary: 'Set a new price for a model from an instant on (now or later)',
    description: 'Calls are priced when they are recorded, at the price effective then: a change never rewrites recorded cost.',
  })
  @ApiCreatedResponse({ type: ModelPriceDto })
  @ApiBadRequestResponse({ description: 'Unknown model, malformed price, or an effective date in the past', type: ErrorResponseDto })
  @ApiConflictResponse({ description: 'The model already has a price from that instant', type: ErrorResponseDto })
  add(@Body() body: CreateModelPriceDto): Promise<ModelPriceDto> {
    return this.prices.add(body);
  }
}
