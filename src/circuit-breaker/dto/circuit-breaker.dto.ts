import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import type { BreakerOpenCause, BreakerSnapshot, BreakerTransition } from '../breaker-types';
import type { RateLimits } from '../rate-budget';

const STATES = ['closed', 'open', 'half_open'];
const FORCED = ['open', 'closed'];
const OPEN_CAUSES = ['failures', 'credentials_rejected'] satisfies BreakerOpenCause[];

function iso(epochMs: number | null): string | null {
  return epochMs === null ? null : new Date(epochMs).toISOString();
}

export class BreakerWindowDto {
  @ApiProperty({ description: 'Calls recorded while closed in the failure-rate window' }) calls!: number;
  @ApiProperty() failures!: number;
  @ApiProperty({ example: 60000 }) windowMs!: number;
}

export class BreakerErrorDto {
  @ApiProperty({ example: 'transient: provider answered 503: service unavailable' }) message!: string;
  @ApiProperty({ format: 'date-time' }) at!: string;
}

export class CircuitBreakerDto {
  @ApiProperty({ example: 'openai' }) name!: string;
  @ApiProperty({ enum: STATES }) state!: string;
  @ApiPropertyOptional({ enum: FORCED, nullable: true, description: 'Pinned by an operator until released' }) forced!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) forcedReason!: string | null;
  @ApiProperty() consecutiveFailures!: number;
  @ApiProperty({ description: 'Successful probes in the current half-open period' }) halfOpenSuccesses!: number;
  @ApiProperty({ type: BreakerWindowDto }) window!: BreakerWindowDto;
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true }) openedAt!: string | null;
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true, description: 'When an open breaker lets the next probe through' })
  nextProbeAt!: string | null;
  @ApiPropertyOptional({ type: BreakerErrorDto, nullable: true }) lastError!: BreakerErrorDto | null;
  @ApiPropertyOptional({
    enum: OPEN_CAUSES,
    nullable: true,
    description:
      'Why it opened, while open or half-open: `failures` (threshold, failure rate or a failed probe), or `credentials_rejected` ' +
      '(the provider refused the API key: it opened at once, work is held, and it closes by itself once a probe gets through with a working key)',
  })
  openCause!: BreakerOpenCause | null;
  @ApiProperty() probesInFlight!: number;
  @ApiProperty({ description: 'State changes since the breaker was created' }) transitions!: number;
  @ApiProperty({ format: 'date-time', description: 'When this was read (Redis clock)' }) at!: string;

  static from(s: BreakerSnapshot): CircuitBreakerDto {
    return {
      name: s.name,
      state: s.state,
      forced: s.forced,
      forcedReason: s.forcedReason,
      consecutiveFailures: s.consecutiveFailures,
      halfOpenSuccesses: s.halfOpenSuccesses,
      window: s.window,
      openedAt: iso(s.openedAt),
      nextProbeAt: iso(s.nextProbeAt),
      lastError: s.lastError ? { message: s.lastError.message, at: iso(s.lastError.at) as string } : null,
      openCause: s.openCause,
      probesInFlight: s.probesInFlight,
      transitions: s.transitions,
      at: iso(s.at) as string,
    };
  }
}

export class BreakerTransitionDto {
  @ApiProperty({ example: 'openai' }) breaker!: string;
  @ApiProperty({ enum: STATES }) from!: string;
  @ApiProperty({ enum: STATES, description: 'Equal to `from` when only the forced flag changed' }) to!: string;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({ example: '5 consecutive failures' }) reason!: string;
  @ApiPropertyOptional({ enum: FORCED, nullable: true }) forced!: string | null;

  static from(t: BreakerTransition): BreakerTransitionDto {
    return { ...t, at: iso(t.at) as string };
  }
}

export class RateBudgetDto {
  @ApiProperty({ example: 'openai' }) name!: string;
  @ApiPropertyOptional({ type: Number, nullable: true, description: 'Requests per window: the lower of configured and learned; null = unlimited' })
  rpm!: number | null;
  @ApiPropertyOptional({ type: Number, nullable: true, description: 'Tokens per window: the lower of configured and learned; null = unlimited' })
  tpm!: number | null;
  @ApiProperty({ example: 60000 }) windowMs!: number;
  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'End of the latest block (a Retry-After, or a used-up provider window); past once it ended',
  })
  blockedUntil!: string | null;

  @ApiProperty({ example: 300000, description: 'The longest block a Retry-After or a used-up provider window may impose (RATE_LIMIT_MAX_BLOCK_MS)' })
  maxBlockMs!: number;

  static from(name: string, windowMs: number, maxBlockMs: number, limits: RateLimits): RateBudgetDto {
    return { name, rpm: limits.rpm, tpm: limits.tpm, windowMs, blockedUntil: iso(limits.blockedUntil), maxBlockMs };
  }
}

export class ForceOpenDto {
  @ApiProperty({ example: 'provider incident INC-1234', description: 'Shown in the breaker and its history' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(500)
  reason!: string;
}

export class BreakerControlDto {
  @ApiPropertyOptional({ example: 'incident over' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;
}
