import { BullAdapter } from '@bull-board/api/bullAdapter';
import { BullBoardModule } from '@bull-board/nestjs';
import { BullModule } from '@nestjs/bull';
import { Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { EmbeddingsModule } from '../embeddings/embeddings.module';
import { bullQueueOptions } from '../queue/bull-options';
import { CompareController } from './compare.controller';
import { DriftCanary } from './drift/drift-canary';
import { DriftCheck } from './drift/drift-check';
import { DriftReports } from './drift/drift-reports';
import { DriftService } from './drift/drift.service';
import { DriftController } from './drift.controller';
import { EmbeddingVectors } from './embedding-vectors';
import { IngestionDuplicateCheck } from './ingestion-duplicate-check';
import { NearDuplicateScan } from './near-duplicate-scan';
import { NearDuplicatesController } from './near-duplicates.controller';
import { NearDuplicatesService } from './near-duplicates.service';
import { PairComparisonService } from './pair-comparison.service';
import { RecordedDuplicates } from './recorded-duplicates';
import { BackgroundRuns } from './runs/background-runs';
import { COMPARE_QUEUE, CompareQueue } from './runs/compare-queue';
import { CompareRuns } from './runs/compare-runs';
import { CompareWorker } from './runs/compare.worker';
import { ScanResults } from './scan-results';

/** Comparison tools: similarity, pair comparison, near-duplicates (in the request, in the background, at ingestion), drift. */
@Module({
  imports: [
    EmbeddingsModule,
    BullModule.registerQueueAsync({
      name: COMPARE_QUEUE,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => bullQueueOptions(config),
    }),
    BullBoardModule.forFeature({ name: COMPARE_QUEUE, adapter: BullAdapter }),
  ],
  controllers: [CompareController, NearDuplicatesController, DriftController],
  providers: [
    CompareQueue,
    CompareRuns,
    BackgroundRuns,
    CompareWorker,
    EmbeddingVectors,
    PairComparisonService,
    NearDuplicatesService,
    NearDuplicateScan,
    ScanResults,
    RecordedDuplicates,
    IngestionDuplicateCheck,
    DriftReports,
    DriftCheck,
    DriftService,
    DriftCanary,
  ],
})
export class CompareModule {}
