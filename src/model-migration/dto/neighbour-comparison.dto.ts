import { ApiProperty } from '@nestjs/swagger';

export class PairOverlapDto {
  @ApiProperty({ format: 'uuid' })
  qaPairId!: string;

  @ApiProperty({ example: 0.4 })
  overlap!: number;
}

export class NeighbourComparisonDto {
  @ApiProperty({ example: 10 })
  k!: number;

  @ApiProperty({ example: 50 })
  sampleSize!: number;

  @ApiProperty({ example: 0.83, description: 'Mean share of the 10 nearest other pairs both models agree on' })
  meanOverlap!: number;

  @ApiProperty({ example: 0.9 })
  medianOverlap!: number;

  @ApiProperty({ example: 0.6 })
  p10Overlap!: number;

  @ApiProperty({ example: 0.3 })
  minOverlap!: number;

  @ApiProperty({ example: 1, description: 'Share of pairs embedded under the target when sampled; below 1 the overlap is understated' })
  targetCoverage!: number;

  @ApiProperty()
  computedAt!: string;

  @ApiProperty({ type: [PairOverlapDto], description: 'The sampled pairs the two models disagree on most' })
  lowest!: PairOverlapDto[];
}
