/**
 * Amounts recorded over a sliding time window, kept as a deque (arrays with a moving
 * head) so evicting expired entries is amortised O(1) and nothing is scanned in full.
 */
export class SlidingWindow {
  private times: number[] = [];
  private amounts: number[] = [];
  private head = 0;
  private sum = 0;

  /** Total amount of the entries still in the window (after the last `evict`). */
  get total(): number {
    return this.sum;
  }

  add(at: number, amount: number): void {
    this.times.push(at);
    this.amounts.push(amount);
    this.sum += amount;
  }

  evict(now: number, windowMs: number): void {
    while (this.head < this.times.length && this.times[this.head] <= now - windowMs) {
      this.sum -= this.amounts[this.head];
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.amounts = this.amounts.slice(this.head);
      this.head = 0;
    }
  }

  /** Milliseconds until at least `amount` has left the window (walks only the entries that must expire). */
  msUntilFreed(amount: number, now: number, windowMs: number): number {
    let freed = 0;
    for (let i = this.head; i < this.times.length; i++) {
      freed += this.amounts[i];
      if (freed >= amount) return Math.max(1, this.times[i] + windowMs - now);
    }
    return 0;
  }

  /** Milliseconds until every entry has left the window. */
  msUntilEmpty(now: number, windowMs: number): number {
    const newest = this.times.length > this.head ? this.times[this.times.length - 1] : undefined;
    return newest === undefined ? 0 : Math.max(0, newest + windowMs - now);
  }

  clear(): void {
    this.times = [];
    this.amounts = [];
    this.head = 0;
    this.sum = 0;
  }
}
