import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class FieldProblemDto {
  @ApiProperty({ example: 'question' })
  field!: string;

  @ApiProperty({ example: 'must be at most 4000 characters' })
  problem!: string;
}

/** The one shape of every error the API returns. */
export class ErrorResponseDto {
  @ApiProperty({ example: 400 })
  statusCode!: number;

  @ApiProperty({ example: 'Bad Request' })
  error!: string;

  @ApiProperty({ example: 'question: must be at most 4000 characters' })
  message!: string;

  @ApiPropertyOptional({ type: [FieldProblemDto] })
  details?: FieldProblemDto[];

  @ApiPropertyOptional({ description: 'Extra facts about the error (ids, states)', type: 'object', additionalProperties: true })
  context?: Record<string, unknown>;

  @ApiProperty({ example: '6f1c2b9e-0c8e-4a53-9a53-1f0b2f7b8c11' })
  requestId!: string;
}
