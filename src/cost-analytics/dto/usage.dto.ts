import { ApiProperty } from '@nestjs/swagger';
import { USAGE_PURPOSES } from '../usage-purpose';

/** Usage summed over some slice: counts, tokens and exact cost. */
export class UsageSummaryDto {
  @ApiProperty({ example: 1280, description: 'Embedded items (one per input per provider call)' })
  items!: number;

  @ApiProperty({ example: 48210, description: "Billed tokens: the provider's reported usage shared out over the items" })
  tokens!: number;

  @ApiProperty({ example: 48190, description: 'Tokens counted locally (cl100k_base) before sending' })
  localTokens!: number;

  @ApiProperty({ example: 20, description: 'tokens − localTokens: what the provider counted beyond (or short of) our count' })
  tokenDifference!: number;

  @ApiProperty({ example: '0.0009642', description: 'USD, exact decimal, at the price effective when each call was made' })
  costUsd!: string;

  @ApiProperty({
    example: 120,
    description: 'Of tokens: those of calls sent whose answer was never recorded (the process died, the connection dropped), at their local count',
  })
  unconfirmedTokens!: number;

  @ApiProperty({
    example: '0.0000024',
    description: 'Of costUsd: unconfirmed spend (calls that may have been billed; budgets and the hard cap count it)',
  })
  unconfirmedCostUsd!: string;
}

export class DailyUsageDto extends UsageSummaryDto {
  @ApiProperty({ example: '2026-11-30', description: 'Local date in the report time zone' })
  date!: string;

  @ApiProperty({ example: '2026-W49' })
  isoWeek!: string;
}

export class WeeklyUsageDto extends UsageSummaryDto {
  @ApiProperty({ example: '2026-W53', description: 'ISO 8601 week (Monday first) of the local dates' })
  isoWeek!: string;

  @ApiProperty({ example: '2026-12-28', description: 'First date of the week inside the report period' })
  firstDate!: string;

  @ApiProperty({ example: '2027-01-03', description: 'Last date of the week inside the report period' })
  lastDate!: string;

  @ApiProperty({ example: 7, description: 'Days of this week inside the report period (fewer at its edges)' })
  days!: number;
}

export class CategoryUsageDto extends UsageSummaryDto {
  @ApiProperty({ example: 'billing', nullable: true, type: String, description: 'null: usage without a category (search queries)' })
  category!: string | null;
}

export class ModelUsageDto extends UsageSummaryDto {
  @ApiProperty({ example: 'text-embedding-3-small' })
  model!: string;
}

/** Spend per lane, summed over provider calls (not the rollups): live calls, and Batch API batches at the batch price. */
export class LaneUsageDto {
  @ApiProperty({ enum: ['live', 'batch'] }) lane!: 'live' | 'batch';
  @ApiProperty({ description: 'Provider calls (a batch is one)' }) calls!: number;
  @ApiProperty({ description: 'Inputs sent' }) items!: number;
  @ApiProperty({ description: "Tokens billed (the provider's reported usage; the local count while unconfirmed)" }) tokens!: number;
  @ApiProperty({ example: '0.021000' }) costUsd!: string;
  @ApiProperty({ example: '0.00', description: 'Of costUsd, spend whose outcome is not known yet (a batch in flight counts here)' })
  unconfirmedCostUsd!: string;
}

export class PurposeUsageDto extends UsageSummaryDto {
  @ApiProperty({ enum: USAGE_PURPOSES })
  purpose!: string;
}
