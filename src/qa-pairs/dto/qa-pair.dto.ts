import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsNotEmpty, IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';
import { NonBlankText } from '../../common/non-blank-text';
import { PageQueryDto } from '../../common/page.dto';

export const MAX_QUESTION_CHARS = 4_000;
export const MAX_ANSWER_CHARS = 40_000;
export const MAX_CATEGORY_CHARS = 100;
export const MAX_BULK_ITEMS = 5_000;

export class CreateQaPairDto {
  @ApiProperty({ example: 'How do I reset my password?', maxLength: MAX_QUESTION_CHARS })
  @NonBlankText(MAX_QUESTION_CHARS)
  question!: string;

  @ApiProperty({ example: 'Open Settings → Security and choose "Reset password".', maxLength: MAX_ANSWER_CHARS })
  @NonBlankText(MAX_ANSWER_CHARS)
  answer!: string;

  @ApiPropertyOptional({ example: 'account', default: 'general', maxLength: MAX_CATEGORY_CHARS })
  @IsOptional()
  @NonBlankText(MAX_CATEGORY_CHARS)
  category?: string;
}

export class UpdateQaPairDto extends PartialType(CreateQaPairDto) {}

export class BulkCreateQaPairsDto {
  @ApiProperty({ type: [CreateQaPairDto], minItems: 1, maxItems: MAX_BULK_ITEMS })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_BULK_ITEMS)
  @ValidateNested({ each: true })
  @Type(() => CreateQaPairDto)
  items!: CreateQaPairDto[];

  @ApiPropertyOptional({
    enum: ['live', 'batch'],
    default: 'live',
    description:
      "batch: the active model embeds these pairs through OpenAI's Batch API (half the price, within 24 h; follow it at " +
      'GET /batch-backfills/{batchBackfillId}); models being filled by a migration stay live',
  })
  @IsOptional()
  @IsIn(['live', 'batch'])
  lane?: 'live' | 'batch';
}

export class ListQaPairsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ example: 'account' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_CATEGORY_CHARS)
  category?: string;
}

export class EmbeddingStatusDto {
  @ApiProperty({ example: 'text-embedding-3-small', description: 'The active model' })
  model!: string;

  @ApiProperty({
    enum: ['embedded', 'pending', 'stale', 'failed'],
    description:
      'embedded: current content; pending: on its way; stale: an older version is embedded and the new one is on its way; failed: dead-lettered',
  })
  state!: string;

  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true })
  embeddedAt!: Date | null;

  @ApiPropertyOptional({ type: String, nullable: true, description: 'Why it failed, when it did' })
  error!: string | null;
}

export class QaPairDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() question!: string;
  @ApiProperty() answer!: string;
  @ApiProperty({ example: 'account' }) category!: string;
  @ApiProperty({ description: 'Bumped on every change (question, answer or category); the ETag is this number in quotes', example: 1 })
  version!: number;
  @ApiProperty() createdAt!: Date;
  @ApiProperty() updatedAt!: Date;
  @ApiProperty({ type: EmbeddingStatusDto }) embedding!: EmbeddingStatusDto;
}

export class QaPairPageDto {
  @ApiProperty({ example: 1234 }) total!: number;
  @ApiProperty({ example: 50 }) limit!: number;
  @ApiProperty({ example: 0 }) offset!: number;
  @ApiProperty({ type: [QaPairDto] }) items!: QaPairDto[];
  @ApiPropertyOptional({ format: 'uuid', description: 'With lane=batch: the batch backfill embedding them' }) batchBackfillId?: string;
}

export class BulkCreateResultDto {
  @ApiProperty({ example: 1000 }) created!: number;
  @ApiProperty({ description: 'Jobs Redis did not take now; the reconciler enqueues them later', example: 0 }) notYetQueued!: number;
  @ApiProperty({ type: [QaPairDto] }) items!: QaPairDto[];
  @ApiPropertyOptional({ format: 'uuid', description: 'With lane=batch: the batch backfill embedding them' }) batchBackfillId?: string;
}
