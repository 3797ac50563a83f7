import { ApiProperty } from '@nestjs/swagger';
import { IsUUID } from 'class-validator';
import { OptionalModelName } from './model-name.property';

export class ComparePairsDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  idA!: string;

  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  idB!: string;

  @OptionalModelName()
  model?: string;
}

export class ComparedPairDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() question!: string;
  @ApiProperty() answer!: string;
  @ApiProperty({ example: 'account' }) category!: string;
}

export class PairComparisonDto {
  @ApiProperty({ example: 'text-embedding-3-small' }) model!: string;
  @ApiProperty({ example: 0.912, description: 'Cosine similarity of the two current embeddings, in [-1, 1]' }) similarity!: number;
  @ApiProperty({ type: ComparedPairDto }) a!: ComparedPairDto;
  @ApiProperty({ type: ComparedPairDto }) b!: ComparedPairDto;
}
