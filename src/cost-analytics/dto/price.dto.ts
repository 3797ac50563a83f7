import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional, IsString, Matches, MaxLength } from 'class-validator';

export class ModelPriceDto {
  @ApiProperty({ example: 'text-embedding-3-small' }) model!: string;
  @ApiProperty({ example: '0.015000', description: 'USD per 1M tokens, exact decimal' }) pricePerMillionTokens!: string;
  @ApiProperty({ enum: ['live', 'batch'], description: 'live calls, or Batch API batches' }) lane!: 'live' | 'batch';
  @ApiProperty({ description: 'Calls from this instant on are priced at it' }) effectiveFrom!: Date;
  @ApiProperty() createdAt!: Date;
}

export class ModelPriceHistoryDto {
  @ApiProperty({ example: 'text-embedding-3-small' }) model!: string;
  @ApiProperty({ example: '0.020000', description: 'The price the model was registered with: it applies before the first entry' })
  registeredPricePerMillionTokens!: string;
  @ApiProperty({ example: '0.020000', description: 'The price a call made now is charged' }) currentPricePerMillionTokens!: string;
  @ApiProperty({
    example: '0.010000',
    description: 'The batch price a batch submitted now is charged (registered batch price, else half the live one, until a batch price is set)',
  })
  currentBatchPricePerMillionTokens!: string;
  @ApiProperty({ type: [ModelPriceDto], description: 'Price changes, oldest first; never rewritten' }) prices!: ModelPriceDto[];
}

export class CreateModelPriceDto {
  @ApiProperty({ example: 'text-embedding-3-small' })
  @IsString()
  @MaxLength(100)
  model!: string;

  @ApiProperty({ example: '0.015', description: 'USD per 1M tokens: a decimal string, at most 8 digits before and 6 after the point' })
  @IsString()
  @Matches(/^\d{1,8}(\.\d{1,6})?$/, { message: 'must be a decimal string such as "0.015" (at most 8 digits before and 6 after the point)' })
  pricePerMillionTokens!: string;

  @ApiPropertyOptional({ enum: ['live', 'batch'], default: 'live', description: 'The lane this price is for: batch prices have their own history' })
  @IsOptional()
  @IsIn(['live', 'batch'])
  lane?: 'live' | 'batch';

  @ApiPropertyOptional({ example: '2027-01-01T00:00:00Z', description: 'ISO 8601 instant, now or later (default: now)' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'must be an ISO 8601 date-time such as 2027-01-01T00:00:00Z' })
  effectiveFrom?: string;
}
