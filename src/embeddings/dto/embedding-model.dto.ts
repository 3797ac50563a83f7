import { ApiProperty } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsInt, IsNotEmpty, IsNumberString, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import type { EmbeddingModelEntity } from '../embedding-model.entity';

export class EmbeddingModelDto {
  @ApiProperty({ example: 'text-embedding-3-small' })
  name!: string;

  @ApiProperty({ enum: ['openai', 'offline'] })
  provider!: string;

  @ApiProperty({ example: 'text-embedding-3-small', description: 'Model name sent to the provider' })
  apiModel!: string;

  @ApiProperty({ example: 1536 })
  dimensions!: number;

  @ApiProperty({ example: '0.020000', description: 'USD per 1M tokens in force now (price history, else the registered price), exact decimal' })
  pricePerMillionTokens!: string;

  @ApiProperty({ example: '0.020000', description: 'USD per 1M tokens the model was registered with; see GET cost/prices for the history' })
  registeredPricePerMillionTokens!: string;

  @ApiProperty({ example: 8191 })
  maxInputTokens!: number;

  @ApiProperty({ description: 'Answers search' })
  active!: boolean;

  @ApiProperty({ description: 'Kept current on every edit although not active (a migration target)' })
  keepCurrent!: boolean;

  /** `priceInForce`: the current price (defaults to the registered one, e.g. for a model just registered). */
  static from(model: EmbeddingModelEntity, priceInForce: string = model.pricePerMillionTokens): EmbeddingModelDto {
    return {
      name: model.name,
      provider: model.provider,
      apiModel: model.apiModel,
      dimensions: model.dimensions,
      pricePerMillionTokens: priceInForce,
      registeredPricePerMillionTokens: model.pricePerMillionTokens,
      maxInputTokens: model.maxInputTokens,
      active: model.isActive,
      keepCurrent: model.keepCurrent,
    };
  }
}

export class RegisterModelDto {
  @ApiProperty({ example: 'text-embedding-3-large-1024', description: 'Our name for it; letters, digits, . _ : @ -' })
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._:@-]{0,99}$/, { message: 'must be 1–100 letters, digits, . _ : @ or - and start with a letter or digit' })
  name!: string;

  @ApiProperty({ enum: ['openai', 'offline'], default: 'openai' })
  @IsOptional()
  @IsIn(['openai', 'offline'])
  provider: 'openai' | 'offline' = 'openai';

  @ApiProperty({ example: 'text-embedding-3-large' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  apiModel!: string;

  @ApiProperty({ example: 1024, minimum: 1, maximum: 4000 })
  @IsInt()
  @Min(1)
  @Max(4000)
  dimensions!: number;

  @ApiProperty({ description: 'Send `dimensions` to the API (text-embedding-3 models only)', default: false })
  @IsOptional()
  @IsBoolean()
  requestDimensions: boolean = false;

  @ApiProperty({ example: '0.13', description: 'USD per 1M tokens as a decimal string' })
  @IsNumberString({ no_symbols: false }, { message: 'must be a decimal number as a string, e.g. "0.13"' })
  @Matches(/^\d{1,8}(\.\d{1,6})?$/, { message: 'must be a non-negative decimal with at most 6 decimals' })
  pricePerMillionTokens!: string;

  @ApiProperty({ example: 8191, required: false })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  maxInputTokens?: number;
}
