import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { IdempotencyKeys } from '../common/idempotency/idempotency-keys';
import { EmbeddingsModule } from '../embeddings/embeddings.module';
import { QueueModule } from '../queue/queue.module';
import { QaPairEntity } from './qa-pair.entity';
import { QaPairsController } from './qa-pairs.controller';
import { QaPairsService } from './qa-pairs.service';

@Module({
  imports: [TypeOrmModule.forFeature([QaPairEntity]), EmbeddingsModule, QueueModule],
  controllers: [QaPairsController],
  providers: [QaPairsService, IdempotencyKeys],
  exports: [QaPairsService],
})
export class QaPairsModule {}
