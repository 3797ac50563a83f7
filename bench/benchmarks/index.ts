import type { Benchmark } from '../support/benchmark';
import { breakerBenchmark } from './breaker';
import { costReportBenchmark } from './cost-report';
import { ingestBenchmark } from './ingest';
import { queueBenchmark } from './queue';
import { migrationBenchmark } from './migration';
import { nearDuplicatesBenchmark } from './near-duplicates';
import { searchBenchmark } from './search';
import { searchQualityBenchmark } from './search-quality';

/** Every benchmark `npm run bench` runs, in this order. */
export const BENCHMARKS: Benchmark[] = [
  ingestBenchmark,
  queueBenchmark,
  nearDuplicatesBenchmark,
  costReportBenchmark,
  migrationBenchmark,
  breakerBenchmark,
  searchBenchmark,
  searchQualityBenchmark,
];
