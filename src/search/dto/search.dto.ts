import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsNotEmpty, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { SEARCH_MODES, type SearchMode } from '../search-mode';

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

  @ApiPropertyOptional({
    enum: SEARCH_MODES,
    description:
      '`vector`: nearest neighbours of the query embedding (active model, HNSW). `lexical`: PostgreSQL full-text search, no tokens spent. ' +
      "`hybrid`: both, merged by reciprocal rank fusion. Default: the deployment's `SEARCH_DEFAULT_MODE` (vector).",
  })
  @IsOptional()
  @IsIn(SEARCH_MODES, { message: `must be one of ${SEARCH_MODES.join(', ')}` })
  mode?: SearchMode;
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

  @ApiProperty({
    description:
      'Relevance in the answering mode, higher first: cosine similarity (vector), ts_rank_cd (lexical), fused reciprocal-rank score (hybrid)',
    example: 0.83,
  })
  score!: number;

  @ApiProperty({
    description: 'Cosine similarity to the query, 1 = same direction; null when the pair was found only lexically',
    example: 0.83,
    nullable: true,
    type: Number,
  })
  similarity!: number | null;

  @ApiProperty({
    description:
      'The pair changed since its embedding was made; its new embedding is on the way (false for lexical hits: the index follows every edit)',
  })
  stale!: boolean;
}

export class SearchResponseDto {
  @ApiProperty({ example: 'text-embedding-3-small', description: 'The active model (it embeds the query in vector and hybrid modes)' })
  model!: string;

  @ApiProperty({ enum: SEARCH_MODES, description: 'The mode that answered: `lexical` when a vector or hybrid search was degraded' })
  mode!: SearchMode;

  @ApiProperty({ enum: SEARCH_MODES, description: 'The mode asked for (or the default)' })
  requestedMode!: SearchMode;

  @ApiProperty({
    description:
      'Why the query could not be embedded and the lexical index answered instead: breaker_open, breaker_forced_open, breaker_half_open, rate_limited, ' +
      'credentials_rejected (the provider refused our API key), provider_timeout (no answer within SEARCH_EMBED_TIMEOUT_MS), or provider_<kind> for a failed call ' +
      '(provider_transient, provider_permanent, …), dependency_unavailable (Redis or PostgreSQL unreachable while embedding); null when the requested mode answered',
    nullable: true,
    type: String,
    example: null,
  })
  degradedReason!: string | null;

  @ApiProperty({ description: 'Tokens the query embedding cost: 0 for lexical search and for a cache hit', example: 7 })
  queryTokens!: number;

  @ApiProperty({ description: 'The query embedding came from the cache (no provider call)' })
  cached!: boolean;

  @ApiProperty({ type: [SearchHitDto] })
  results!: SearchHitDto[];
}
