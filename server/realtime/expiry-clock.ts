/** setTimeout's longest delay (about 24.8 days); a later deadline is waited for in steps. */
const MAX_DELAY_MS = 2 ** 31 - 1;

/**
 * Calls `expire` for each item once its deadline has passed, to the second (never early, at most a second late).
 *
 * A stream's credential expiry used to be a setTimeout per stream: a Timeout, a closure and a timer list of its own
 * (about 0.7 KB) held for as long as the stream is open. A reconnect storm of 10,000 streams then had young-generation
 * collections copying all of it. Here the items due in the same second share a set, and one timer waits for the
 * earliest second.
 */
export class ExpiryClock<T> {
  /** Items by the second (epoch ms / 1000, rounded up) they expire in. */
  private readonly due = new Map<number, Set<T>>();
  private timer: NodeJS.Timeout | undefined;
  /** The second the timer is set for (Infinity: none). */
  private armedFor = Infinity;

  constructor(private readonly expire: (item: T) => void) {}

  /** Schedules `item`; the returned key is what `cancel` takes. */
  add(item: T, atMs: number): number {
    const second = Math.ceil(atMs / 1000);
    let items = this.due.get(second);
    if (!items) this.due.set(second, (items = new Set()));
    items.add(item);
    if (second < this.armedFor) this.arm(second);
    return second;
  }

  cancel(item: T, key: number): void {
    const items = this.due.get(key);
    if (!items) return;
    items.delete(item);
    // The timer stays set: when it fires for an emptied second it just looks for the next one.
    if (items.size === 0) this.due.delete(key);
  }

  get size(): number {
    let n = 0;
    for (const items of this.due.values()) n += items.size;
    return n;
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Infinity;
  }

  private arm(second: number): void {
    clearTimeout(this.timer);
    this.armedFor = second;
    this.timer = setTimeout(() => this.fire(), Math.min(MAX_DELAY_MS, Math.max(0, second * 1000 - Date.now())));
    this.timer.unref();
  }

  private fire(): void {
    this.timer = undefined;
    this.armedFor = Infinity;
    const now = Date.now();
    let next = Infinity;
    for (const [second, items] of this.due) {
      if (second * 1000 > now) {
        if (second < next) next = second;
        continue;
      }
      this.due.delete(second);
      for (const item of items) this.expire(item);
    }
    // An expire() may have added items (in a past second: they expire on the next firing, straight away).
    for (const second of this.due.keys()) if (second < next) next = second;
    if (next !== Infinity) this.arm(next);
  }
}
