import { ApiProperty, ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { PageQueryDto } from '../../common/page.dto';
import type { DeadLetterEntity } from '../../embeddings/dead-letter.entity';

const KINDS = ['permanent', 'exhausted', 'stalled'] as const;

export class DeadLetterFilterDto {
  @ApiPropertyOptional({ example: 'text-embedding-3-small' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  model?: string;

  @ApiPropertyOptional({ enum: KINDS })
  @IsOptional()
  @IsIn(KINDS)
  errorKind?: (typeof KINDS)[number];

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  qaPairId?: string;
}

export class DeadLetterListQueryDto extends IntersectionType(PageQueryDto, DeadLetterFilterDto) {
  @ApiPropertyOptional({ description: 'Include discarded letters', default: false })
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  includeDiscarded?: boolean;
}

export class DeadLetterDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) qaPairId!: string;
  @ApiProperty({ example: 'text-embedding-3-small' }) model!: string;
  @ApiProperty() contentHash!: string;
  @ApiProperty({ example: 'ingest' }) purpose!: string;
  @ApiProperty({ enum: KINDS }) errorKind!: string;
  @ApiProperty({ example: 'provider answered 400: input too long' }) lastError!: string;
  @ApiProperty({ example: 3 }) attempts!: number;
  @ApiPropertyOptional({ type: String, nullable: true }) jobId!: string | null;
  @ApiProperty() firstFailedAt!: Date;
  @ApiProperty() lastFailedAt!: Date;
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true }) discardedAt!: Date | null;

  static from(letter: DeadLetterEntity, modelName: string): DeadLetterDto {
    return {
      id: letter.id,
      qaPairId: letter.qaPairId,
      model: modelName,
      contentHash: letter.contentHash,
      purpose: letter.purpose,
      errorKind: letter.errorKind,
      lastError: letter.lastError,
      attempts: letter.attempts,
      jobId: letter.jobId,
      firstFailedAt: letter.firstFailedAt,
      lastFailedAt: letter.lastFailedAt,
      discardedAt: letter.discardedAt,
    };
  }
}

export class DeadLetterPageDto {
  @ApiProperty() total!: number;
  @ApiProperty({ type: [DeadLetterDto] }) items!: DeadLetterDto[];
}

export class ReplayResultDto {
  @ApiProperty({ example: 20, description: 'Letters removed and enqueued again with full attempts' })
  replayed!: number;
}
