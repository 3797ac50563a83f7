import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsNumber } from 'class-validator';

/** pgvector's own limit on a vector's dimensions. */
export const MAX_VECTOR_COMPONENTS = 16_000;

export class SimilarityRequestDto {
  @ApiProperty({ type: [Number], example: [1, 2, 3], minItems: 1, maxItems: MAX_VECTOR_COMPONENTS })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_VECTOR_COMPONENTS)
  @IsNumber({ allowNaN: false, allowInfinity: false }, { each: true })
  vec1!: number[];

  @ApiProperty({ type: [Number], example: [2, 4, 6.5], minItems: 1, maxItems: MAX_VECTOR_COMPONENTS, description: 'Same length as vec1' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_VECTOR_COMPONENTS)
  @IsNumber({ allowNaN: false, allowInfinity: false }, { each: true })
  vec2!: number[];
}

export class SimilarityResponseDto {
  @ApiProperty({
    example: 0.99959,
    description: 'Cosine similarity in [-1, 1], computed exactly in float64; 0 when either vector is all zeros (it has no direction)',
  })
  similarity!: number;

  @ApiProperty({ example: 3 })
  dimensions!: number;
}
