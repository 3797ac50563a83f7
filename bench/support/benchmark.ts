/** What every benchmark in `bench/benchmarks/` exports. */
export interface Benchmark {
  name: string;
  /** One line for the summary: what is measured against what. */
  description: string;
  run(context: BenchContext): Promise<BenchOutcome>;
}

export interface BenchContext {
  /** 1 for the sizes the issues name; smaller with `--scale 0.1` or `--quick` (0.05). */
  scale: number;
  /** Repetitions for medians (`--runs N`, default 3). */
  runs: number;
  log(message: string): void;
}

export interface BenchOutcome {
  /** Numeric figures keyed as the issue names them. */
  figures: Record<string, number>;
  /** Free-text facts that are not numbers (method used, data source, caveats). */
  notes?: Record<string, string>;
}

export function scaled(size: number, scale: number, minimum = 1): number {
  return Math.max(minimum, Math.round(size * scale));
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export function round(value: number, digits = 3): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
