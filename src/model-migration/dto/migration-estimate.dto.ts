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

export class QualityGateEstimateDto {
  @ApiProperty({ description: 'Labelled queries the gate evaluates both models on' }) labelledQueries!: number;
  @ApiProperty({ description: "Captured queries the target's answers are compared on" }) capturedQueries!: number;
  @ApiProperty({ description: 'Query tokens both evaluations embed' }) tokens!: number;
  @ApiProperty({ example: '0.000040' }) costUsd!: string;
  @ApiProperty({ nullable: true, type: String, description: 'Set when there are no labelled queries: the gate cannot judge' }) warning!:
    string | null;
}

export class LiveLaneEstimateDto {
  @ApiProperty({ example: '0.42' }) costUsd!: string;
  @ApiProperty({ nullable: true, type: Number, description: 'From the rate limits and measured throughput' }) etaSeconds!: number | null;
}

export class BatchLaneEstimateDto {
  @ApiProperty({ example: '0.21', description: 'At the batch price in force' }) costUsd!: string;
  @ApiProperty({ example: '0.01' }) pricePerMillionTokens!: string;
  @ApiProperty({ description: 'Batches of at most BATCH_LANE_MAX_REQUESTS pairs' }) batches!: number;
  @ApiProperty({ description: 'Upper bound: one 24 h window per BATCH_LANE_MAX_IN_FLIGHT batches (OpenAI usually finishes much sooner)' })
  etaSeconds!: number;
}

export class LaneEstimatesDto {
  @ApiProperty({ type: LiveLaneEstimateDto }) live!: LiveLaneEstimateDto;
  @ApiProperty({ type: BatchLaneEstimateDto }) batch!: BatchLaneEstimateDto;
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

  @ApiProperty({
    type: QualityGateEstimateDto,
    description: "The quality gate's evaluations (absent on estimates stored by migrations started before the gate existed)",
    required: false,
  })
  qualityGate?: QualityGateEstimateDto;

  @ApiProperty({ type: LaneEstimatesDto, required: false, description: 'Both lanes side by side (absent on estimates stored before lanes existed)' })
  lanes?: LaneEstimatesDto;
}
