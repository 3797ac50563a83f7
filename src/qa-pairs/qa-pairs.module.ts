import { Module } from '@nestjs/common';
import { BatchLaneModule } from '../batch-lane/batch-lane.module';
import { TypeOrmModule } from '@nestjs/typeorm';
import { IdempotencyKeys } from '../common/idempotency/idempotency-keys';
import { EmbeddingsModule } from '../embeddings/embeddings.module';
import { QueueModule } from '../queue/queue.module';
import { QaPairEntity } from './qa-pair.entity';
import { QaPairsController } from './qa-pairs.controller';
import { QaPairsService } from './qa-pairs.service';

@Module({
  imports: [TypeOrmModule.forFeature([QaPairEntity]), EmbeddingsModule, QueueModule, BatchLaneModule],
  controllers: [QaPairsController],
  providers: [QaPairsService, IdempotencyKeys],
  exports: [QaPairsService],
})
export class QaPairsModule {}
