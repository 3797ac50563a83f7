import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { CompareRun } from '../runs/compare-runs';

/** What every background run shows while it is followed by polling. */
export class CompareRunDto {
  @ApiProperty({ format: 'uuid' }) id!: string;

  @ApiProperty({
    enum: ['queued', 'running', 'completed', 'failed', 'interrupted'],
    description: 'interrupted: its worker stopped or Redis lost its job; retry it',
  })
  status!: string;

  @ApiProperty({ minimum: 0, maximum: 1, example: 0.42 }) progress!: number;
  @ApiPropertyOptional({ type: String, nullable: true, example: 'searching' }) phase!: string | null;
  @ApiProperty({ example: 'text-embedding-3-small' }) model!: string;
  @ApiProperty({ example: 1, description: 'Bumped by each retry' }) attempt!: number;
  @ApiProperty({ enum: ['api', 'canary'] }) requestedBy!: string;
  @ApiPropertyOptional({ type: String, nullable: true }) error!: string | null;
  @ApiProperty() createdAt!: Date;
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true }) startedAt!: Date | null;
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true }) finishedAt!: Date | null;
  @ApiProperty({ description: 'Last progress written (a heartbeat while running)' }) updatedAt!: Date;

  static fields(run: CompareRun): CompareRunDto {
    return {
      id: run.id,
      status: run.status,
      progress: run.progress,
      phase: run.phase,
      model: run.model,
      attempt: run.attempt,
      requestedBy: run.requestedBy,
      error: run.error,
      createdAt: run.createdAt,
      startedAt: run.startedAt,
      finishedAt: run.finishedAt,
      updatedAt: run.heartbeatAt,
    };
  }
}
