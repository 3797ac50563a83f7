import type { Benchmark } from '../support/benchmark';
import { nearDuplicatesBenchmark } from './near-duplicates';

/** Every benchmark `npm run bench` runs, in this order. */
export const BENCHMARKS: Benchmark[] = [nearDuplicatesBenchmark];
