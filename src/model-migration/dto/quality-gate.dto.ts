import { ApiProperty } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { AgreementScoresDto, RetrievalScoresDto } from '../../evaluation/dto/evaluation.dto';
import { GATE_METRICS } from '../../evaluation/evaluation-scores';

export class GateSideDto {
  @ApiProperty() model!: string;
  @ApiProperty({ format: 'uuid', description: 'GET /evaluations/{id} for per-category figures' }) evaluationId!: string;
  @ApiProperty({ type: RetrievalScoresDto }) scores!: RetrievalScoresDto;
}

export class GateTargetDto extends GateSideDto {
  @ApiProperty({ type: AgreementScoresDto, nullable: true, description: "Agreement with the source's answers on captured queries" })
  agreement!: AgreementScoresDto | null;
}

export class QualityGateDto {
  @ApiProperty({ enum: GATE_METRICS }) metric!: string;
  @ApiProperty({ example: 0.01, description: 'The most the target may fall below the source on `metric`' }) margin!: number;

  @ApiProperty({
    enum: ['passed', 'held', 'no_labelled_queries'],
    nullable: true,
    type: String,
    description: 'null until the target is filled. held: waits in `ready`; a cutover then needs a `reason`',
  })
  verdict!: string | null;

  @ApiProperty({ type: GateSideDto, nullable: true }) source!: GateSideDto | null;
  @ApiProperty({ type: GateTargetDto, nullable: true }) target!: GateTargetDto | null;
  @ApiProperty({ nullable: true, type: Number, description: 'target − source on `metric`' }) difference!: number | null;
  @ApiProperty({ nullable: true, type: String }) message!: string | null;
  @ApiProperty({ nullable: true, type: String }) judgedAt!: string | null;
}

export class ShadowSearchesDto {
  @ApiProperty({ description: 'Live searches also run on the target in the background' }) searches!: number;
  @ApiProperty({ nullable: true, type: Number, description: "Mean share of the user's top results the target also returned" }) meanOverlap!:
    number | null;
  @ApiProperty({ nullable: true, type: Number, description: 'Mean rank-biased overlap (p = 0.9)' }) meanRankBiasedOverlap!: number | null;
}

export class CutoverRequestDto {
  @ApiProperty({
    required: false,
    maxLength: 2000,
    description: 'Why; required when the quality gate held the migration, and recorded on it',
    example: 'recall dropped on the billing category only; accepted after review',
  })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  @Matches(/\S/, { message: 'must not be blank' })
  reason?: string;
}
