import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsUUID } from 'class-validator';
import { PageQueryDto } from '../../common/page.dto';
import { BUDGET_PERIODS } from '../budgets/budget';

export const ALERT_LEVELS = ['warning', 'exceeded'] as const;
export const WEBHOOK_STATUSES = ['not_configured', 'pending', 'delivered', 'failed'] as const;

export class AlertWebhookDto {
  @ApiProperty({ enum: WEBHOOK_STATUSES, description: 'pending: not delivered yet, retried with backoff; failed: gave up after the last attempt' })
  status!: (typeof WEBHOOK_STATUSES)[number];
  @ApiProperty({ example: 1 }) attempts!: number;
  @ApiProperty({ nullable: true, type: Date, description: 'When the next attempt is due (pending only)' }) nextAttemptAt!: Date | null;
  @ApiProperty({ nullable: true, type: String, example: 'webhook answered 503' }) lastError!: string | null;
  @ApiProperty({ nullable: true, type: Date }) deliveredAt!: Date | null;
}

/** A budget crossed one of its thresholds in one period: raised once, stored, logged and POSTed to the webhook. */
export class CostAlertDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) budgetId!: string;
  @ApiProperty({ example: 'monthly embeddings' }) budgetName!: string;
  @ApiProperty({ enum: BUDGET_PERIODS }) period!: string;
  @ApiProperty({ example: '2026-12-01', description: 'First local date of the period' }) periodStart!: string;
  @ApiProperty() periodStartsAt!: Date;
  @ApiProperty() periodEndsAt!: Date;
  @ApiProperty({ example: 80 }) thresholdPercent!: number;
  @ApiProperty({ enum: ALERT_LEVELS, description: 'warning below 100 %, exceeded from 100 %' }) level!: (typeof ALERT_LEVELS)[number];
  @ApiProperty({ example: '201.40', description: 'Spent in the period when the alert fired' }) spentUsd!: string;
  @ApiProperty({ example: '250.00' }) limitUsd!: string;
  @ApiProperty() firedAt!: Date;
  @ApiProperty({ type: AlertWebhookDto }) webhook!: AlertWebhookDto;
}

export class CostAlertPageDto {
  @ApiProperty() total!: number;
  @ApiProperty({ type: [CostAlertDto], description: 'Newest first' }) items!: CostAlertDto[];
}

export class CostAlertListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  budgetId?: string;
}

export class AlertCheckResultDto {
  @ApiProperty({ example: 3, description: 'Enabled budgets checked' }) budgetsChecked!: number;
  @ApiProperty({ type: [CostAlertDto], description: 'Alerts raised by this check (each fires once per budget, period, limit and threshold)' })
  fired!: CostAlertDto[];
}
