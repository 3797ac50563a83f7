import type { Benchmark } from '../support/benchmark';

/** Every benchmark `npm run bench` runs, in this order. */
export const BENCHMARKS: Benchmark[] = [];
