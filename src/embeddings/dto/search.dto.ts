import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsNotEmpty, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

export class SearchRequestDto {
  @ApiProperty({ example: 'How do I reset my password?', maxLength: 8000 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(8000)
  @Matches(/\S/, { message: 'must not be blank' })
  query!: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 10 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100)
  limit: number = 10;

  @ApiPropertyOptional({ example: 'account', description: 'Only pairs of this category' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  category?: string;
}

export class SearchHitDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  question!: string;

  @ApiProperty()
  answer!: string;

  @ApiProperty()
  category!: string;

  @ApiProperty({ description: 'Cosine similarity, 1 = same direction', example: 0.83 })
  similarity!: number;

  @ApiProperty({ description: 'The pair changed since this embedding was made; its new embedding is on the way' })
  stale!: boolean;
}

export class SearchResponseDto {
  @ApiProperty({ example: 'text-embedding-3-small', description: 'The active model that answered' })
  model!: string;

  @ApiProperty({ description: 'Tokens the query cost', example: 7 })
  queryTokens!: number;

  @ApiProperty({ type: [SearchHitDto] })
  results!: SearchHitDto[];
}
