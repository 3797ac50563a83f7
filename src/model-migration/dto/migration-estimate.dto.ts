import { ApiProperty } from '@nestjs/swagger';

export class RateLimitBoundDto {
  @ApiProperty({ nullable: true, type: Number, example: 3000, description: 'RATE_LIMIT_RPM; null = not configured' })
  requestsPerMinute!: number | null;

  @ApiProperty({ nullable: true, type: Number, example: 1_000_000, description: 'RATE_LIMIT_TPM; null = not configured' })
  tokensPerMinute!: number | null;

  @ApiProperty({ nullable: true, type: Number, description: 'Seconds the limits allow it in at best' })
  seconds!: number | null;
}

export class ThroughputBoundDto {
  @ApiProperty({ nullable: true, type: Number, example: 850.5 })
  pairsPerSecond!: number | null;

  @ApiProperty({
    nullable: true,
    enum: ['last-migration', 'recent-throughput'],
    description: "The last migration's achieved rate, else what the workers embedded over the last 5 minutes",
  })
  source!: 'last-migration' | 'recent-throughput' | null;

  @ApiProperty({ nullable: true, type: Number })
  seconds!: number | null;
}

export class MigrationEstimateDto {
  @ApiProperty({ example: 100_000, description: 'Pairs whose current content has no embedding under the target' })
  pairs!: number;

  @ApiProperty({ example: 4_200_000, description: 'cl100k_base tokens, counted locally' })
  tokens!: number;

  @ApiProperty({ description: "Pairs whose count came from the source model's stored count (same text, same tokenizer)" })
  pairsWithStoredTokenCounts!: number;

  @ApiProperty({ example: '0.546', description: "USD at the target model's price, exact decimal" })
  costUsd!: string;

  @ApiProperty({ example: '0.13' })
  pricePerMillionTokens!: string;

  @ApiProperty({ example: 391, description: 'Provider requests at the queue batch limits' })
  requests!: number;

  @ApiProperty({ type: RateLimitBoundDto })
  rateLimit!: RateLimitBoundDto;

  @ApiProperty({ type: ThroughputBoundDto })
  throughput!: ThroughputBoundDto;

  @ApiProperty({ nullable: true, type: Number, description: 'The slower of the two bounds; null when neither is known' })
  etaSeconds!: number | null;
}
