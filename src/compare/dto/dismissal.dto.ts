import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsOptional, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import { MAX_DISMISSED_GROUP, type Dismissal } from '../near-duplicates/dismissals';

export class DismissNearDuplicatesDto {
  @ApiProperty({
    type: [String],
    format: 'uuid',
    minItems: 2,
    maxItems: MAX_DISMISSED_GROUP,
    description: 'Two QA pairs, or a whole group: every two of them are dismissed as not duplicates of each other',
  })
  @IsArray()
  @ArrayMinSize(2)
  @ArrayMaxSize(MAX_DISMISSED_GROUP)
  @IsUUID('all', { each: true })
  qaPairIds!: string[];

  @ApiPropertyOptional({ maxLength: 500, example: 'same words, different products' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  @Matches(/\S/, { message: 'must not be blank' })
  reason?: string;
}

export class DismissalDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid', description: 'The smaller id of the two' }) idA!: string;
  @ApiProperty({ format: 'uuid' }) idB!: string;
  @ApiProperty({ nullable: true, type: String }) reason!: string | null;
  @ApiProperty() dismissedAt!: Date;
  @ApiProperty({ description: 'Both pairs still have the content they had when dismissed; after an edit the two show again' })
  current!: boolean;

  static from(dismissal: Dismissal): DismissalDto {
    return { ...dismissal };
  }
}

export class DismissalsResultDto {
  @ApiProperty({ example: 1, description: 'Rows written: one per two QA pairs (three for a group of three)' }) dismissed!: number;
  @ApiProperty({ type: [DismissalDto] }) items!: DismissalDto[];
}

export class DismissalPageDto {
  @ApiProperty() total!: number;
  @ApiProperty() limit!: number;
  @ApiProperty() offset!: number;
  @ApiProperty({ type: [DismissalDto] }) items!: DismissalDto[];
}

/** `?includeDismissed=true` on the lists that hide dismissed near-duplicates. */
export class IncludeDismissedQuery {
  @ApiPropertyOptional({ default: false, description: 'Also list pairs dismissed as not duplicates (hidden by default)' })
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  includeDismissed?: boolean;
}
