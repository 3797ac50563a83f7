import { setImmediate as nextMacrotask } from 'node:timers/promises';

export interface ScanOptions {
  /** Called with the fraction done, in [0, 1], about every 50 ms and once at the end. */
  onProgress?: (fractionDone: number) => void;
  /** Aborting rejects the scan with the signal's reason at its next pause. */
  signal?: AbortSignal;
}

const PAUSE_INTERVAL_MS = 50;
/** Units of work between looks at the clock (a clock read costs about as much as a small unit). */
const UNITS_PER_CLOCK_READ = 256;

/**
 * Lets a long synchronous scan pause: every ~50 ms it reports progress and yields to the
 * event loop, so an abort (or anything else queued) can run, then it checks the signal.
 */
export class ScanControl {
  private lastPause = performance.now();
  private unitsUntilClockRead = UNITS_PER_CLOCK_READ;

  constructor(private readonly options: ScanOptions) {
    options.signal?.throwIfAborted();
  }

  /** Counts units of work (vectors, buckets, candidate pairs); true when a pause is due. */
  pauseDue(units = 1): boolean {
    this.unitsUntilClockRead -= units;
    if (this.unitsUntilClockRead > 0) return false;
    this.unitsUntilClockRead = UNITS_PER_CLOCK_READ;
    return performance.now() - this.lastPause >= PAUSE_INTERVAL_MS;
  }

  async pause(fractionDone: number): Promise<void> {
    this.options.onProgress?.(Math.min(1, Math.max(0, fractionDone)));
    this.options.signal?.throwIfAborted();
    await nextMacrotask();
    this.options.signal?.throwIfAborted();
    this.lastPause = performance.now();
  }

  finish(): void {
    this.options.onProgress?.(1);
  }
}

/** Options for one phase of a job that covers [from, to] of the job's progress. */
export function progressSlice(options: ScanOptions, from: number, to: number): ScanOptions {
  const { onProgress } = options;
  return { ...options, onProgress: onProgress && ((fraction) => onProgress(from + (to - from) * fraction)) };
}
