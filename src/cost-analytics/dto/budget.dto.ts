import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { BUDGET_PERIODS, type BudgetPeriod } from '../budgets/budget';

const USD_LIMIT = /^(?=.*[1-9])\d{1,14}(\.\d{1,6})?$/;
// eslint-disable-next-line no-control-regex -- matching NUL is the point: PostgreSQL text cannot hold it
const NO_NUL = /^[^\u0000]*$/;

/** Optional alert thresholds: 1 to 10 distinct whole percentages of the limit. */
function ThresholdsPercent(): PropertyDecorator {
  // Listed bottom-up, as stacked decorators apply, so violations are reported in the same order.
  return applyDecorators(
    Max(1000, { each: true }),
    Min(1, { each: true }),
    IsInt({ each: true }),
    ArrayUnique(),
    ArrayMaxSize(10),
    ArrayMinSize(1),
    IsArray(),
    IsOptional(),
  );
}

export class BudgetDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'monthly embeddings' }) name!: string;
  @ApiProperty({ enum: BUDGET_PERIODS }) period!: BudgetPeriod;
  @ApiProperty({ example: '250.00', description: 'USD per period, exact decimal' }) limitUsd!: string;
  @ApiProperty({ example: [50, 80, 100], type: [Number], description: 'Percentages of the limit that each raise one alert per period' })
  thresholdsPercent!: number[];
  @ApiProperty({ example: null, nullable: true, type: String, description: 'Only usage of this category counts (null: all)' })
  category!: string | null;
  @ApiProperty({ example: null, nullable: true, type: String, description: 'Only usage of this model counts (null: all)' })
  model!: string | null;
  @ApiProperty({ example: 'Europe/Berlin', description: 'Where its days, ISO weeks and months start' }) timeZone!: string;
  @ApiProperty({ description: 'While exceeded, BudgetGate postpones non-urgent embedding work' }) hardCap!: boolean;
  @ApiProperty() enabled!: boolean;
  @ApiProperty() createdAt!: Date;
  @ApiProperty() updatedAt!: Date;
}

export class CreateBudgetDto {
  @ApiProperty({ example: 'monthly embeddings', maxLength: 100 })
  @IsString()
  @Matches(/\S/, { message: 'must not be blank' })
  @Matches(NO_NUL, { message: 'must not contain NUL characters' })
  @MaxLength(100)
  name!: string;

  @ApiProperty({ enum: BUDGET_PERIODS })
  @IsIn(BUDGET_PERIODS)
  period!: BudgetPeriod;

  @ApiProperty({ example: '250.00', description: 'USD, a positive decimal string with at most 6 decimals' })
  @IsString()
  @Matches(USD_LIMIT, { message: 'must be a positive decimal string such as "250.00" (at most 14 digits before and 6 after the point)' })
  limitUsd!: string;

  @ApiPropertyOptional({ example: [50, 80, 100], type: [Number], default: [50, 80, 100] })
  @ThresholdsPercent()
  thresholdsPercent?: number[];

  @ApiPropertyOptional({ example: 'billing', maxLength: 100 })
  @IsOptional()
  @IsString()
  @Matches(/\S/, { message: 'must not be blank' })
  @Matches(NO_NUL, { message: 'must not contain NUL characters' })
  @MaxLength(100)
  category?: string;

  @ApiPropertyOptional({ example: 'text-embedding-3-small', description: 'Model name' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  model?: string;

  @ApiPropertyOptional({ example: 'Europe/Berlin', default: 'UTC', description: 'IANA time zone of its periods' })
  @IsOptional()
  @IsString()
  timeZone?: string;

  @ApiPropertyOptional({ default: false, description: 'Postpone non-urgent work (migrations, bulk imports) while exceeded' })
  @IsOptional()
  @IsBoolean()
  hardCap?: boolean;
}

/** Period, scope and time zone are fixed: alerts already fired belong to them. Make a new budget to change those. */
export class UpdateBudgetDto {
  @ApiPropertyOptional({ maxLength: 100 })
  @IsOptional()
  @IsString()
  @Matches(/\S/, { message: 'must not be blank' })
  @Matches(NO_NUL, { message: 'must not contain NUL characters' })
  @MaxLength(100)
  name?: string;

  @ApiPropertyOptional({ example: '300.00' })
  @IsOptional()
  @IsString()
  @Matches(USD_LIMIT, { message: 'must be a positive decimal string such as "250.00" (at most 14 digits before and 6 after the point)' })
  limitUsd?: string;

  @ApiPropertyOptional({ example: [80, 100], type: [Number] })
  @ThresholdsPercent()
  thresholdsPercent?: number[];

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  hardCap?: boolean;

  @ApiPropertyOptional({ description: 'A disabled budget is not checked and never caps' })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;
}

export class BudgetPeriodDto {
  @ApiProperty({ example: '2026-12-01', description: 'First local date of the period' }) start!: string;
  @ApiProperty() startsAt!: Date;
  @ApiProperty({ description: 'Exclusive' }) endsAt!: Date;
}

/** Where a budget stands in its current period, and where the current pace takes it. */
export class BudgetStatusDto {
  @ApiProperty({ type: BudgetDto }) budget!: BudgetDto;
  @ApiProperty({ type: BudgetPeriodDto }) period!: BudgetPeriodDto;
  @ApiProperty({ example: '120.50' }) spentUsd!: string;
  @ApiProperty({ example: 48.2, description: 'spent ÷ limit × 100, one decimal' }) percentUsed!: number;
  @ApiProperty({ example: '6.25', description: 'Average daily cost in scope over the trailing 7 days' }) dailyPaceUsd!: string;
  @ApiProperty({ example: '233.75', description: 'Spent so far + pace × days left in the period' }) projectedPeriodCostUsd!: string;
  @ApiProperty() exceeded!: boolean;
  @ApiProperty({ nullable: true, type: Date, description: 'When the current pace reaches the limit, if before the period ends' })
  crossesAt!: Date | null;
  @ApiProperty({ nullable: true, type: String, example: '2026-12-27', description: 'crossesAt as a local date in the budget time zone' })
  crossesOn!: string | null;
}
