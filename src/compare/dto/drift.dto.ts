import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsNumber, IsOptional, Max, Min } from 'class-validator';
import type { DriftCheckView, DriftReport } from '../drift/drift.service';
import { CompareRunDto } from './compare-run.dto';
import { OptionalModelName } from './model-name.property';

export const MAX_DRIFT_SAMPLE = 5_000;

export class StartDriftCheckDto {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_DRIFT_SAMPLE, default: 100, description: 'Unchanged pairs to re-embed (they cost tokens)' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_DRIFT_SAMPLE)
  sampleSize?: number;

  @OptionalModelName()
  model?: string;

  @ApiPropertyOptional({
    minimum: 0,
    maximum: 1,
    example: 0.999,
    description: 'Lowest acceptable cosine between fresh and stored vector; default DRIFT_TOLERANCE',
  })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  tolerance?: number;
}

export class DriftPairDto {
  @ApiProperty({ format: 'uuid' }) qaPairId!: string;
  @ApiProperty({ example: 0.99999 }) similarity!: number;
}

export class DriftReportDto {
  @ApiProperty({ format: 'uuid', description: 'The drift check id' }) id!: string;
  @ApiProperty({ example: 'text-embedding-3-small' }) model!: string;
  @ApiProperty({ example: 100 }) requestedSampleSize!: number;
  @ApiProperty({ example: 100, description: 'Pairs compared (fewer than requested when fewer are embedded and unchanged)' }) sampleSize!: number;
  @ApiPropertyOptional({ type: Number, nullable: true, example: 0.999991 }) meanSimilarity!: number | null;
  @ApiPropertyOptional({ type: Number, nullable: true, example: 0.999982 }) minSimilarity!: number | null;
  @ApiPropertyOptional({ type: Number, nullable: true, example: 0.999985, description: '5th percentile (nearest rank)' }) p5Similarity!:
    number | null;
  @ApiProperty({ example: 0.999 }) tolerance!: number;
  @ApiProperty({ example: 0, description: 'Pairs whose fresh vector is below the tolerance' }) belowTolerance!: number;
  @ApiProperty({ enum: ['stable', 'drifted', 'no_data'], description: 'drifted: at least one unchanged pair re-embedded below the tolerance' })
  verdict!: string;
  @ApiProperty({ example: 2312, description: 'Tokens spent (ledger purpose `drift`)' }) tokens!: number;
  @ApiProperty({ type: [DriftPairDto], description: 'The least similar pairs of the sample, lowest first' }) lowest!: DriftPairDto[];
  @ApiProperty() checkedAt!: Date;

  static from(report: DriftReport): DriftReportDto {
    return { ...report, lowest: report.lowest.map((pair) => ({ ...pair })) };
  }
}

export class DriftCheckDto extends CompareRunDto {
  @ApiProperty({ example: 100 }) sampleSize!: number;
  @ApiProperty({ example: 0.999 }) tolerance!: number;
  @ApiPropertyOptional({ type: DriftReportDto, nullable: true, description: 'Set once completed' }) report!: DriftReportDto | null;

  static from(view: DriftCheckView): DriftCheckDto {
    return {
      ...CompareRunDto.fields(view.run),
      sampleSize: view.run.parameters.sampleSize,
      tolerance: view.run.parameters.tolerance,
      report: view.report && DriftReportDto.from(view.report),
    };
  }
}

export class DriftCheckPageDto {
  @ApiProperty() total!: number;
  @ApiProperty() limit!: number;
  @ApiProperty() offset!: number;
  @ApiProperty({ type: [DriftCheckDto] }) items!: DriftCheckDto[];
}
