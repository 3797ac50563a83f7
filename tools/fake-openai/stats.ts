import type { BatchStats } from './batch-api';
/** Counters over the embedding requests the fake has seen since start or the last reset. */
export interface FakeOpenAIStats {
  /** Every embedding request received, answered or not. */
  requests: number;
  /** Answers delivered, by HTTP status ("200", "429", …); abandoned requests are not in here. */
  byStatus: Record<string, number>;
  /**
   * What the provider billed: inputs and tokens of every accepted (200) request, malformed
   * answers included, and abandoned ones too (processed after their client went away, as
   * the real API does: the caller paid and never got the vectors).
   */
  inputs: number;
  tokens: number;
  /** Requests processed after their client had gone (a killed worker, a client timeout); `inputs`/`tokens` include the billed ones. */
  abandoned: { requests: number; inputs: number; tokens: number };
  byModel: Record<string, { requests: number; inputs: number; tokens: number }>;
  /** Requests received and not yet answered or abandoned by the client; a live gauge that reset keeps. */
  inFlight: number;
  maxInFlight: number;
  /** Requests the `hang` fault swallowed. */
  hung: number;
  /** The latest answered requests, oldest first. */
  recent: RecentRequest[];
  /** What the Batch API billed (lines answered 200); counted apart from the requests above. */
  batches: BatchStats;
}

export interface RecentRequest {
  at: string;
  requestId: string;
  model: string | null;
  inputs: number;
  tokens: number;
  status: number;
  durationMs: number;
  fault: string | null;
  /** The client had gone when the answer was ready: nothing was delivered (but a 200 was billed). */
  abandoned: boolean;
}

export class StatsRecorder {
  private counters = emptyCounters();
  private inFlight = 0;
  private maxInFlight = 0;
  private recent: RecentRequest[] = [];
  private recentNext = 0;

  constructor(private readonly recentLimit: number) {}

  started(): void {
    this.counters.requests++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
  }

  ended(): void {
    this.inFlight--;
  }

  hung(): void {
    this.counters.hung++;
  }

  answered(entry: RecentRequest): void {
    const counters = this.counters;
    if (entry.abandoned) counters.abandoned.requests++;
    else counters.byStatus[entry.status] = (counters.byStatus[entry.status] ?? 0) + 1;
    if (entry.status === 200 && entry.model !== null) {
      if (entry.abandoned) {
        counters.abandoned.inputs += entry.inputs;
        counters.abandoned.tokens += entry.tokens;
      }
      counters.inputs += entry.inputs;
      counters.tokens += entry.tokens;
      const model = (counters.byModel[entry.model] ??= { requests: 0, inputs: 0, tokens: 0 });
      model.requests++;
      model.inputs += entry.inputs;
      model.tokens += entry.tokens;
    }
    if (this.recentLimit === 0) return;
    // A ring buffer: the slot after the newest entry holds the oldest once it is full.
    this.recent[this.recentNext] = entry;
    this.recentNext = (this.recentNext + 1) % this.recentLimit;
  }

  snapshot(): Omit<FakeOpenAIStats, 'batches'> {
    const recent =
      this.recent.length < this.recentLimit ? this.recent.slice() : [...this.recent.slice(this.recentNext), ...this.recent.slice(0, this.recentNext)];
    return { ...structuredClone(this.counters), inFlight: this.inFlight, maxInFlight: this.maxInFlight, recent };
  }

  reset(): void {
    this.counters = emptyCounters();
    this.maxInFlight = this.inFlight;
    this.recent = [];
    this.recentNext = 0;
  }
}

function emptyCounters() {
  return {
    requests: 0,
    byStatus: {} as Record<string, number>,
    inputs: 0,
    tokens: 0,
    abandoned: { requests: 0, inputs: 0, tokens: 0 },
    byModel: {} as FakeOpenAIStats['byModel'],
    hung: 0,
  };
}
