import { ApiProperty } from '@nestjs/swagger';
import type { EmbeddingBatch } from '../embedding-batches';

/** One batch on the batch lane (of a migration or a bulk import). */
export class EmbeddingBatchDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ nullable: true, type: String, description: "The provider's batch id" }) providerBatchId!: string | null;
  @ApiProperty({
    enum: ['building', 'validating', 'in_progress', 'finalizing', 'completed', 'failed', 'expired', 'cancelling', 'cancelled'],
    description: 'building until the provider has it, then its status',
  })
  state!: string;
  @ApiProperty({ description: 'Pairs in it (one request each)' }) requests!: number;
  @ApiProperty({ description: 'Local tokens of its requests' }) tokens!: number;
  @ApiProperty({ description: 'Requests the provider reports completed' }) completedRequests!: number;
  @ApiProperty({ description: 'Requests the provider reports failed' }) failedRequests!: number;
  @ApiProperty({ description: 'Once imported: vectors stored' }) embedded!: number;
  @ApiProperty({ description: 'Once imported: pairs dead-lettered (permanent line errors)' }) deadLettered!: number;
  @ApiProperty({
    description: 'Once imported: pairs left for a later batch (transient errors, expired or cancelled before they ran, edited meanwhile)',
  })
  sentBack!: number;
  @ApiProperty({ nullable: true, type: Date }) submittedAt!: Date | null;
  @ApiProperty({ nullable: true, type: Date, description: "The end of the batch's 24 h window" }) expiresAt!: Date | null;
  @ApiProperty({ nullable: true, type: Date }) importedAt!: Date | null;
  @ApiProperty({ nullable: true, type: String }) error!: string | null;

  static from(batch: EmbeddingBatch): EmbeddingBatchDto {
    return {
      id: batch.id,
      providerBatchId: batch.providerBatchId,
      state: batch.state,
      requests: batch.requests,
      tokens: batch.tokens,
      completedRequests: batch.completedRequests,
      failedRequests: batch.failedRequests,
      embedded: batch.embedded,
      deadLettered: batch.deadLettered,
      sentBack: batch.sentBack,
      submittedAt: batch.submittedAt,
      expiresAt: batch.expiresAt,
      importedAt: batch.importedAt,
      error: batch.error,
    };
  }
}
