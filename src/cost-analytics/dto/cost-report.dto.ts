import { ApiProperty } from '@nestjs/swagger';
import { IsOptional, IsString } from 'class-validator';
import { BudgetStatusDto } from './budget.dto';
import { CategoryUsageDto, DailyUsageDto, ModelUsageDto, LaneUsageDto, PurposeUsageDto, UsageSummaryDto, WeeklyUsageDto } from './usage.dto';

export class CostReportQueryDto {
  @ApiProperty({ example: '2026-11-01', description: 'First local date, included' })
  @IsString()
  start!: string;

  @ApiProperty({ example: '2026-11-30', description: 'Last local date, included' })
  @IsString()
  end!: string;

  @ApiProperty({ required: false, example: 'Europe/Berlin', default: 'UTC', description: 'IANA time zone the days are cut in' })
  @IsOptional()
  @IsString()
  timeZone?: string;
}

export class ProjectionQueryDto {
  @ApiProperty({ required: false, example: 'Europe/Berlin', default: 'UTC', description: 'IANA time zone of the month' })
  @IsOptional()
  @IsString()
  timeZone?: string;
}

/** This month's cost: actual so far plus a forecast for the rest at the current pace. */
export class MonthlyProjectionDto {
  @ApiProperty({ example: '2026-12' }) month!: string;
  @ApiProperty({ example: 'UTC' }) timeZone!: string;
  @ApiProperty({ description: 'The instant the projection is made at' }) asOf!: Date;
  @ApiProperty() monthStartsAt!: Date;
  @ApiProperty({ description: 'Exclusive: the first instant of next month' }) monthEndsAt!: Date;
  @ApiProperty({ example: 31 }) daysInMonth!: number;
  @ApiProperty({ example: '41.20', description: 'Actual cost from the 1st to now' }) monthToDateCostUsd!: string;
  @ApiProperty({ example: '5.80', description: 'Average daily cost over the trailing 7 days (or the history there is, at least 1 day)' })
  dailyPaceUsd!: string;
  @ApiProperty({ example: 7, description: 'Days the pace was measured over' }) paceWindowDays!: number;
  @ApiProperty({ example: '133.40', description: 'dailyPace × days left until monthEndsAt' }) forecastRemainingUsd!: string;
  @ApiProperty({ example: '174.60', description: 'monthToDate + forecastRemaining' }) projectedCostUsd!: string;
  @ApiProperty({ type: [BudgetStatusDto], description: 'Every enabled budget in its current period, with the date the pace crosses it' })
  budgets!: BudgetStatusDto[];
}

export class QueryCacheSavingsDto {
  @ApiProperty({ example: 120, description: 'Searches answered with a cached query embedding' }) hits!: number;
  @ApiProperty({ example: 840, description: 'Query tokens not bought' }) tokens!: number;
  @ApiProperty({ example: '0.000016800000', description: 'What those tokens would have cost at the price in force when they were saved (USD)' })
  costUsd!: string;
}

export class CostReportDto extends UsageSummaryDto {
  @ApiProperty({ example: '2026-11-01' }) periodStart!: string;
  @ApiProperty({ example: '2026-11-30', description: 'Included' }) periodEnd!: string;
  @ApiProperty({ example: 'Europe/Berlin' }) timeZone!: string;
  @ApiProperty({ description: 'UTC instant of local midnight starting periodStart' }) periodStartsAt!: Date;
  @ApiProperty({ description: 'UTC instant of local midnight after periodEnd (exclusive)' }) periodEndsAt!: Date;
  @ApiProperty({ example: 48210, description: 'Billed tokens in the period (same as tokens)' }) totalTokens!: number;
  @ApiProperty({ example: '12.345678', description: 'Same as costUsd' }) totalCostUsd!: string;
  @ApiProperty({ type: [DailyUsageDto], description: 'Every day of the period, zeros included' }) byDay!: DailyUsageDto[];
  @ApiProperty({ type: [WeeklyUsageDto] }) byWeek!: WeeklyUsageDto[];
  @ApiProperty({ type: [CategoryUsageDto], description: 'Most expensive first' }) byCategory!: CategoryUsageDto[];
  @ApiProperty({ type: [ModelUsageDto], description: 'Most expensive first' }) byModel!: ModelUsageDto[];
  @ApiProperty({ type: [PurposeUsageDto], description: 'Most expensive first' }) byPurpose!: PurposeUsageDto[];
  @ApiProperty({ type: [LaneUsageDto], description: 'live and batch (Batch API, batch price), both always listed' }) byLane!: LaneUsageDto[];
  @ApiProperty({ type: MonthlyProjectionDto, description: 'The current month in the report time zone' })
  projectedMonthly!: MonthlyProjectionDto;
  @ApiProperty({
    type: QueryCacheSavingsDto,
    description: "What search's query-embedding cache saved (not in the spend above). Kept per UTC day: the UTC days the period overlaps",
  })
  queryCacheSavings!: QueryCacheSavingsDto;
}

export type CostReport = CostReportDto;
