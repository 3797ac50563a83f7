import { ApiProperty } from '@nestjs/swagger';
import { EmbeddingBatchDto } from './embedding-batch.dto';

/** A bulk import on the batch lane. */
export class BatchBackfillDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: ['running', 'completed'] }) state!: string;
  @ApiProperty({ enum: ['ingest'] }) purpose!: string;
  @ApiProperty({ description: 'Pairs it was created with' }) pairs!: number;
  @ApiProperty({ description: 'Passes over its pairs (a later one takes what a batch sent back)' }) pass!: number;
  @ApiProperty({ type: [EmbeddingBatchDto] }) batches!: EmbeddingBatchDto[];
  @ApiProperty() createdAt!: Date;
  @ApiProperty({ nullable: true, type: Date }) completedAt!: Date | null;
}
