import { Module, type OnModuleInit } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BatchLaneModule } from '../batch-lane/batch-lane.module';
import { EmbeddingsModule } from '../embeddings/embeddings.module';
import { EvaluationModule } from '../evaluation/evaluation.module';
import { QueueModule } from '../queue/queue.module';
import { SearchModule } from '../search/search.module';
import { SearchLatencyModule } from '../search/search-latency.module';
import { Reconciler } from '../queue/reconciler.service';
import { EventStreams } from './event-streams';
import { MigrationBackfill } from './migration-backfill';
import { MigrationController } from './migration.controller';
import { MigrationDriver } from './migration-driver';
import { MigrationEstimator } from './migration-estimator';
import { MigrationJobs } from './migration-jobs';
import { MigrationPacing } from './migration-pacing';
import { MigrationRecords } from './migration-records';
import { MigrationService } from './migration.service';
import { MigrationWindow } from './migration-window';
import { ModelMigrationEntity } from './model-migration.entity';
import { ModelSwitch } from './model-switch';
import { NeighbourComparer } from './neighbour-comparison';
import { QualityGate } from './quality-gate';
import { ShadowSearches } from './shadow-searches';

@Module({
  imports: [
    TypeOrmModule.forFeature([ModelMigrationEntity]),
    EmbeddingsModule,
    EvaluationModule,
    SearchModule,
    QueueModule,
    SearchLatencyModule,
    BatchLaneModule,
  ],
  controllers: [MigrationController],
  providers: [
    MigrationService,
    MigrationRecords,
    MigrationEstimator,
    MigrationJobs,
    MigrationWindow,
    MigrationPacing,
    MigrationBackfill,
    MigrationDriver,
    ModelSwitch,
    NeighbourComparer,
    QualityGate,
    ShadowSearches,
    EventStreams,
  ],
  exports: [MigrationService],
})
export class MigrationModule implements OnModuleInit {
  constructor(
    private readonly reconciler: Reconciler,
    private readonly records: MigrationRecords,
  ) {}

  /** A running or paused migration feeds its target itself, in a bounded window: the reconciler leaves it alone. */
  onModuleInit(): void {
    this.reconciler.delegateBackfill(() => this.records.modelsBeingFilled());
  }
}
