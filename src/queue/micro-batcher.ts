export type Settled<R> = { ok: true; value: R } | { ok: false; error: unknown };

export interface MicroBatcherOptions<T, R> {
  /** Items per flush at most. */
  maxSize: number;
  /**
   * A batch is sent once no item joined it for `quietMs`, and at the latest `maxWaitMs`
   * after its first item: a lone edit goes out after `quietMs`, while a backlog (items
   * arriving every fraction of a millisecond) fills whole batches.
   */
  quietMs: number;
  maxWaitMs: number;
  /**
   * Whether more items are already waiting upstream (jobs in Redis). When the quiet gap
   * passes but a backlog exists, the gap was only this process being busy (an event-loop
   * stall looks like silence to a timer): the batch waits on, up to `maxWaitMs`.
   */
  hasBacklog?: () => Promise<boolean>;
  /**
   * How many items can be outstanding at once (the worker's concurrency): once every
   * slot is waiting here, no more items can arrive, so waiting longer is pointless.
   */
  capacity: number;
  /** Handles one batch; returns one settled result per item, in order. */
  flush(key: string, items: T[]): Promise<Settled<R>[]>;
}

interface Pending<T, R> {
  item: T;
  resolve(value: R): void;
  reject(error: unknown): void;
}

/**
 * Gathers items submitted one by one (one per Bull job) into batches per key (model),
 * so many jobs share one provider request. Several batches may be in flight at once.
 */
export class MicroBatcher<T, R> {
  private readonly pending = new Map<string, Pending<T, R>[]>();
  /** Per key with items waiting: when the batch's first item came, and its flush timer. */
  private readonly batches = new Map<string, { firstAt: number; timer: NodeJS.Timeout }>();
  private outstanding = 0;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly options: MicroBatcherOptions<T, R>) {}

  submit(key: string, item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.outstanding++;
      const queue = this.pending.get(key) ?? [];
      queue.push({ item, resolve, reject });
      this.pending.set(key, queue);
      if (queue.length >= this.options.maxSize) this.flushKey(key);
      else if (this.outstanding >= this.options.capacity) this.flushAll();
      else this.armTimer(key);
    });
  }

  /** Flushes everything waiting and resolves when every batch in flight is done. */
  async drain(): Promise<void> {
    this.flushAll();
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private armTimer(key: string): void {
    const now = performance.now();
    const batch = this.batches.get(key);
    const firstAt = batch?.firstAt ?? now;
    clearTimeout(batch?.timer);
    const deadline = firstAt + this.options.maxWaitMs;
    const timer = setTimeout(() => void this.onQuiet(key), Math.max(0, Math.min(this.options.quietMs, deadline - now)));
    this.batches.set(key, { firstAt, timer });
  }

  private async onQuiet(key: string): Promise<void> {
    const first = this.batches.get(key)?.firstAt;
    const hasBacklog = this.options.hasBacklog;
    if (first !== undefined && hasBacklog && performance.now() - first < this.options.maxWaitMs) {
      const waiting = await hasBacklog().catch(() => false);
      // Re-check: the batch may have been flushed (full) while we asked.
      if (waiting && this.batches.get(key)?.firstAt === first) return this.armTimer(key);
    }
    if (this.batches.get(key)?.firstAt === first) this.flushKey(key);
  }

  private flushAll(): void {
    for (const key of [...this.pending.keys()]) this.flushKey(key);
  }

  private flushKey(key: string): void {
    clearTimeout(this.batches.get(key)?.timer);
    this.batches.delete(key);
    const queue = this.pending.get(key);
    if (!queue || queue.length === 0) return;
    const batch = queue.splice(0, this.options.maxSize);
    if (queue.length === 0) this.pending.delete(key);
    else this.armTimer(key);
    const run = this.runBatch(key, batch);
    this.inFlight.add(run);
    void run.finally(() => this.inFlight.delete(run));
  }

  private async runBatch(key: string, batch: Pending<T, R>[]): Promise<void> {
    let results: Settled<R>[];
    try {
      results = await this.options.flush(
        key,
        batch.map((entry) => entry.item),
      );
    } catch (error) {
      results = batch.map(() => ({ ok: false, error }));
    }
    batch.forEach((entry, i) => {
      this.outstanding--;
      const result = results[i] ?? { ok: false, error: new Error('batch returned no result for this item') };
      if (result.ok) entry.resolve(result.value);
      else entry.reject(result.error);
    });
  }
}
