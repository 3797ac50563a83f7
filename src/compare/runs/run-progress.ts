/** How often a running run writes its progress; the write doubles as its heartbeat. */
export const PROGRESS_WRITE_INTERVAL_MS = 1_000;

export type ReportProgress = (fractionDone: number, phase: string) => void;

/**
 * Keeps the latest progress of a run in memory and writes it on a timer, so a scan that
 * reports every 50 ms costs one UPDATE a second, and a run busy in one long step (a
 * provider call) still shows it is alive.
 */
export class RunProgress {
  private latest: { progress: number; phase: string } = { progress: 0, phase: 'starting' };
  private timer?: NodeJS.Timeout;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly write: (progress: number, phase: string) => Promise<void>,
    private readonly onWriteError: (error: unknown) => void,
  ) {}

  readonly report: ReportProgress = (fractionDone, phase) => {
    // Progress never moves backwards, even when a phase's own estimate does.
    this.latest = { progress: Math.max(this.latest.progress, Math.min(1, fractionDone)), phase };
  };

  start(): void {
    this.timer = setInterval(() => this.flush(), PROGRESS_WRITE_INTERVAL_MS);
    this.timer.unref();
  }

  /** Stops the timer and waits for a write in flight. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.writing;
  }

  private flush(): void {
    const { progress, phase } = this.latest;
    this.writing = this.writing.then(() => this.write(progress, phase).catch(this.onWriteError));
  }
}
