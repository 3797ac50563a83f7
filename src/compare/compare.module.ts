import { Module } from '@nestjs/common';
import { EmbeddingsModule } from '../embeddings/embeddings.module';
import { registerBullQueue } from '../common/jobs/bull-options';
import { PairComparisonController } from './pair-comparison/pair-comparison.controller';
import { DriftCanary } from './drift/drift-canary';
import { DriftCheck } from './drift/drift-check';
import { DriftReports } from './drift/drift-reports';
import { DriftService } from './drift/drift.service';
import { DriftController } from './drift/drift.controller';
import { NearDuplicateDismissals } from './near-duplicates/dismissals';
import { NearDuplicateDismissalsController } from './near-duplicates/dismissals.controller';
import { IngestionDuplicateCheck } from './near-duplicates/ingestion-duplicate-check';
import { NearDuplicateScan } from './near-duplicates/near-duplicate-scan';
import { NearDuplicatesController } from './near-duplicates/near-duplicates.controller';
import { NearDuplicatesService } from './near-duplicates/near-duplicates.service';
import { PairComparisonService } from './pair-comparison/pair-comparison.service';
import { RecordedDuplicates } from './near-duplicates/recorded-duplicates';
import { BackgroundRuns } from './runs/background-runs';
import { COMPARE_QUEUE, CompareQueue } from './runs/compare-queue';
import { CompareRuns } from './runs/compare-runs';
import { CompareQueueConsumer } from './runs/compare-queue.consumer';
import { ScanResults } from './near-duplicates/scan-results';

/** Comparison tools: similarity, pair comparison, near-duplicates (in the request, in the background, at ingestion; dismissed ones), drift. */
@Module({
  imports: [EmbeddingsModule, ...registerBullQueue(COMPARE_QUEUE)],
  controllers: [PairComparisonController, NearDuplicatesController, NearDuplicateDismissalsController, DriftController],
  providers: [
    CompareQueue,
    CompareRuns,
    BackgroundRuns,
    CompareQueueConsumer,
    PairComparisonService,
    NearDuplicatesService,
    NearDuplicateScan,
    ScanResults,
    RecordedDuplicates,
    NearDuplicateDismissals,
    IngestionDuplicateCheck,
    DriftReports,
    DriftCheck,
    DriftService,
    DriftCanary,
  ],
})
export class CompareModule {}
