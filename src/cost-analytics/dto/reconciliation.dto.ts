import { ApiProperty, IntersectionType } from '@nestjs/swagger';
import { PageQueryDto } from '../../common/page.dto';
import { CostReportQueryDto } from './cost-report.dto';
import { UsageSummaryDto } from './usage.dto';

export class ReconciliationQueryDto extends IntersectionType(CostReportQueryDto, PageQueryDto) {}

/** A provider call whose reported usage differs from the tokens counted locally. */
export class CallDifferenceDto {
  @ApiProperty({ format: 'uuid' }) callId!: string;
  @ApiProperty({ example: 'text-embedding-3-small' }) model!: string;
  @ApiProperty({ nullable: true, type: String, description: "The provider's request id" }) requestId!: string | null;
  @ApiProperty() createdAt!: Date;
  @ApiProperty({ example: 256 }) inputs!: number;
  @ApiProperty({ example: 10230 }) localTokens!: number;
  @ApiProperty({ example: 10242 }) reportedTokens!: number;
  @ApiProperty({ example: 12, description: 'reported − local; billed tokens follow the reported count' }) tokenDifference!: number;
  @ApiProperty({
    nullable: true,
    type: String,
    example: '0.00020484',
    description: 'Cost of the call (null for calls recorded before prices were kept per call)',
  })
  costUsd!: string | null;
}

export class ReconciliationDto {
  @ApiProperty({ example: '2026-11-01' }) periodStart!: string;
  @ApiProperty({ example: '2026-11-30' }) periodEnd!: string;
  @ApiProperty({ example: 'UTC' }) timeZone!: string;
  @ApiProperty({ type: UsageSummaryDto, description: 'Billed vs locally counted tokens over the period, from the rollups' }) totals!: UsageSummaryDto;
  @ApiProperty({ description: 'Calls in the period whose reported usage differs from the local count' }) callsWithDifference!: number;
  @ApiProperty({ type: [CallDifferenceDto], description: 'Newest first' }) calls!: CallDifferenceDto[];
}
